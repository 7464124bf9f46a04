from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class TotpForm(FlaskForm):
    code = StringField(_l("Six-digit code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=8)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RecoveryCodeForm(FlaskForm):
    code = StringField(_l("Recovery code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReplaceTotpForm(FlaskForm):
    proof = StringField(_l("A code from your current authenticator, or an unused recovery code"),
                        validators=[DataRequired(), Length(max=40)],
                        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none"})
    new_code = StringField(_l("Six-digit code from the new authenticator"),
                           validators=[DataRequired(), Length(min=6, max=8)],
                           render_kw={"autocomplete": "off", "inputmode": "numeric"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password (at least 12 characters)"),
                        validators=[DataRequired(), Length(min=12, max=72)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
