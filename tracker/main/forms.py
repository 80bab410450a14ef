"""Progress updates from the activity and milestone pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Optional

from tracker.forms import STATUS_CHOICES, whole_number


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
