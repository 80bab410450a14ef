"""Forms for the workplan and the directory. Field checks only; the views check what needs the
database (unique codes, entity names) and put the errors on the fields."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.forms import STATUS_CHOICES, email_address, options, whole_number
from tracker.models import MilestoneKind, PersonRole, parse_lead_days
from tracker.timeline import TimelineError, parse_timeline


def timeline_text(_form: FlaskForm, field: StringField) -> None:
    try:
        parse_timeline(field.data or "")
    except TimelineError as exc:
        raise ValidationError(str(exc)) from None


def lead_days(_form: FlaskForm, field: StringField) -> None:
    try:
        parse_lead_days(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def time_zone(_form: FlaskForm, field: StringField) -> None:
    if field.data:
        try:
            ZoneInfo(field.data.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise ValidationError(
                "Unknown time zone; use an IANA name such as Europe/Paris (not CEST)."
            ) from None


#: The longest description or list of objectives a form takes (a few pages of text).
LONG_TEXT = 10_000


class WorkingGroupForm(FlaskForm):
    short_name = StringField(
        "Short name", validators=[DataRequired(), Length(max=40)], description="e.g. WS1"
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=LONG_TEXT)])
    objectives = TextAreaField(
        "Objectives", validators=[Length(max=LONG_TEXT)], description="One per line."
    )
    contact_email = StringField(
        "Contact address", validators=[Optional(), Length(max=254), email_address]
    )
    reminder_lead_days = StringField(
        "Reminder lead times (days)",
        default="30,7,1,0",
        validators=[lead_days],
        description="Days before a due date, e.g. 30,7,1,0",
    )
    leads = SelectMultipleField("Lead entities", coerce=int)
    members = SelectMultipleField("Member entities", coerce=int)


class ActivityForm(FlaskForm):
    code = StringField(
        "Code", validators=[DataRequired(), Length(max=40)], description="e.g. 3.4 or Output 1.2"
    )
    parent = SelectField("Part of", coerce=str, default="")
    title = TextAreaField("Title", validators=[DataRequired(), Length(max=2000)])
    description = TextAreaField("Description", validators=[Length(max=LONG_TEXT)])
    entities = StringField(
        "Entities",
        description="As workplans write them: “ILO (World Bank)” – ILO leads, the World Bank "
        "partners; “IOM, UN DESA (as co-organizers); ILO (as partners)”.",
    )
    timeline = StringField(
        "Timeline",
        validators=[Length(max=300), timeline_text],
        description="As people write it: “November 2019 – March 2020”, “Ongoing – June 2020”, "
        "“every other year”.",
    )
    status = SelectField("Status", choices=STATUS_CHOICES, default="not_reported")
    version = HiddenField(validators=[Optional(), whole_number])


class MilestoneForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)], description="e.g. M1")
    kind = SelectField(
        "Kind", choices=options((k.value, k.value.capitalize()) for k in MilestoneKind)
    )
    activity = SelectField("Activity", coerce=str, default="")
    title = TextAreaField("Title", validators=[DataRequired(), Length(max=2000)])
    description = TextAreaField("Description", validators=[Length(max=LONG_TEXT)])
    date_text = StringField(
        "Date",
        validators=[Length(max=300), timeline_text],
        description="As written: “20-21 January 2020”, “June 2020”.",
    )
    start_time = TimeField("Starts at", validators=[Optional()])
    end_time = TimeField("Ends at", validators=[Optional()])
    timezone = StringField(
        "Time zone", validators=[Length(max=64), time_zone], description="e.g. Europe/Paris"
    )
    location = StringField("Location", validators=[Length(max=300)])
    status = SelectField("Status", choices=STATUS_CHOICES, default="not_reported")
    version = HiddenField(validators=[Optional(), whole_number])

    def validate_end_time(self, field: TimeField) -> None:
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError("Ends before it starts.")
        if field.data and not self.start_time.data:
            raise ValidationError("Give the start time too.")

    def validate_timezone(self, field: StringField) -> None:
        if self.start_time.data and not (field.data or "").strip():
            raise ValidationError("A time needs a time zone, e.g. Europe/Paris.")


class EntityForm(FlaskForm):
    acronym = StringField("Acronym", validators=[DataRequired(), Length(max=40)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    aliases = StringField(
        "Other names", description="Separated by commas, e.g. UN/DESA, DESA", default=""
    )
    contact_email = StringField(
        "Role address",
        validators=[Optional(), Length(max=254), email_address],
        description="A shared address such as focal-point@example.org, not a person's own.",
    )


class PersonForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = StringField(
        "E-mail address", validators=[DataRequired(), Length(max=254), email_address]
    )
    entity = SelectField("Entity", coerce=str, default="")
    role = SelectField(
        "Role",
        choices=options(
            [
                (PersonRole.MEMBER.value, "Member: reads"),
                (PersonRole.LEAD.value, "Lead: updates what their entity leads"),
                (PersonRole.COORDINATOR.value, "Coordinator: manages their working groups"),
                (PersonRole.ADMINISTRATOR.value, "Administrator: every group, entities, people"),
            ]
        ),
    )
    working_groups = SelectMultipleField("Working groups", coerce=int)
    active = BooleanField("Active (may sign in)", default=True)


class ImportForm(FlaskForm):
    files = MultipleFileField(
        "Workplan files",
        validators=[
            FileAllowed(
                ["csv", "xlsx", "toml", "docx", "html", "htm", "md", "txt"],
                "Use .csv, .xlsx, .toml, .docx, .html, .md or .txt files.",
            )
        ],
        description="A registry (.toml) and workplan tables (.csv, .xlsx) as `tracker export` "
        "writes them, or documents holding a workplan table (.docx, .html, .md).",
    )
    pasted = TextAreaField(
        "Or paste a table",
        description="From a web page or a document (cells apart by tabs), as HTML, or as a "
        "Markdown table.",
    )
    working_group = SelectField(
        "Working group of the document's rows",
        coerce=str,
        default="",
        description="For a document or pasted table without a working group column.",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (
            not any(f.filename for f in self.files.data or [])
            and not (self.pasted.data or "").strip()
        ):
            self.files.errors = ["Choose at least one file, or paste a table."]
            return False
        return True


class ApplyImportForm(FlaskForm):
    #: The preview the coordinator saw; an import that would now do otherwise is shown again.
    preview_digest = HiddenField(validators=[DataRequired()])


class MappingForm(FlaskForm):
    """The columns of one table of an upload, each read as a target or ignored; the fields
    `column-0`, `column-1`, ... are read from the request by the view."""

    table = HiddenField(validators=[DataRequired()])
