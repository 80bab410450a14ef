"""Form pieces every web front end uses (the item pages, the coordinators' pages), below them
all so that neither imports the other."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, SelectChoice, ValidationError

from tracker.models import Status


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_CHOICES = options((s.value, s.label.capitalize()) for s in Status)


def whole_number(_form: FlaskForm, field: Field) -> None:
    """A version a page was made with: anything else means the page is not ours or stale."""
    if not str(field.data or "").isdigit():
        raise ValidationError("The page is out of date; reload it.")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_address(_form: FlaskForm, field: EmailField) -> None:
    if field.data and not _EMAIL.match(field.data.strip()):
        raise ValidationError("Enter an e-mail address such as name@example.org.")
