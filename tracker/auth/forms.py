from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from tracker.forms import email_address


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
