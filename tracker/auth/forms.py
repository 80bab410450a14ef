from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, ValidationError
from wtforms.validators import DataRequired, Length

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_address(_form: FlaskForm, field: EmailField) -> None:
    if field.data and not _EMAIL.match(field.data.strip()):
        raise ValidationError("Enter an e-mail address such as name@example.org.")


class SignInForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254), email_address],
    )
    next = HiddenField()


class ApiTokenForm(FlaskForm):
    name = StringField(
        "What is the token for?",
        validators=[DataRequired("Give the token a name."), Length(max=100)],
        description="e.g. reporting script",
    )
