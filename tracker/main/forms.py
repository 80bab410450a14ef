"""Progress updates from the activity and milestone pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Optional

from tracker.models import Status


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_CHOICES = options((s.value, s.label.capitalize()) for s in Status)


def whole_number(_form: FlaskForm, field: HiddenField) -> None:
    if not str(field.data or "").isdigit():
        raise ValidationError("The page is out of date; reload it.")


class ProgressForm(FlaskForm):
    """What a lead types; whether it may be saved is `update_progress`'s to say."""

    status = SelectField("Status", choices=STATUS_CHOICES, validators=[DataRequired()])
    note = TextAreaField(
        "Progress note",
        description="What happened, what is next. Kept in the history.",
    )
    #: The version the lead saw: a change made meanwhile by someone else is a conflict.
    version = HiddenField(validators=[whole_number])


class ActivityProgressForm(ProgressForm):
    actual_start = DateField("Actual start", validators=[Optional()])
    actual_end = DateField("Actual end", validators=[Optional()])


class MilestoneProgressForm(ProgressForm):
    completed_on = DateField(
        "Completed on",
        validators=[Optional()],
        description="Left empty when marking it completed: today.",
    )


def show_problems(form: FlaskForm, problems: dict[str, str]) -> None:
    """Show `InvalidUpdate`'s problems beside the fields they name."""
    for name, problem in problems.items():
        field = getattr(form, name)
        field.errors = [*field.errors, problem[:1].upper() + problem[1:] + "."]
