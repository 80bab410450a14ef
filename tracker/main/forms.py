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
from wtforms.validators import DataRequired, Length, Optional

from tracker.models import Status


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_CHOICES = options((s.value, s.label.capitalize()) for s in Status)


def whole_number(_form: FlaskForm, field: HiddenField) -> None:
    if not str(field.data or "").isdigit():
        raise ValidationError("The page is out of date; reload it.")


class ProgressForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES, validators=[DataRequired()])
    note = TextAreaField(
        "Progress note",
        validators=[Length(max=5000)],
        description="What happened, what is next. Kept in the history.",
    )
    #: The version the lead saw: a change made meanwhile by someone else is a conflict.
    version = HiddenField(validators=[whole_number])


class ActivityProgressForm(ProgressForm):
    actual_start = DateField("Actual start", validators=[Optional()])
    actual_end = DateField("Actual end", validators=[Optional()])

    def validate_actual_end(self, field: DateField) -> None:
        if field.data and self.actual_start.data and field.data < self.actual_start.data:
            raise ValidationError("The end is before the start.")


class MilestoneProgressForm(ProgressForm):
    completed_on = DateField(
        "Completed on",
        validators=[Optional()],
        description="Left empty when marking it completed: today.",
    )
