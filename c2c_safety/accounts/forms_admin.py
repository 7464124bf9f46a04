from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import RadioField, SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from c2c_safety.core.templating import lazy_role_label
from models import Role

ROLE_CHOICES = [SelectChoice(r.value, lazy_role_label(r.value)) for r in Role]  # "CEO", not "Ceo"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreateUserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    # No password field: the new colleague chooses their own with an invitation link.
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, validators=[DataRequired()])


class DecideForm(FlaskForm):
    """Confirm, reject or reset buttons: only the CSRF token."""


class EditUserForm(FlaskForm):
    # May be empty: removing every role leaves an account that can only sign in.
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES)
    active = BooleanField(_l("Account is active"))


class InvitationForm(FlaskForm):
    """The invited colleague chooses their password (the token travels in the URL once)."""

    password = PasswordField(_l("Choose a password (at least 12 characters)"),
                             validators=[DataRequired(), Length(min=12, max=72)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"), validators=[DataRequired(), Length(max=72)],
                            render_kw={"autocomplete": "new-password"})


class AccessReviewForm(FlaskForm):
    verdict = RadioField(_l("Verdict"), choices=[SelectChoice("confirmed", _l("The roles are right")),
                                             SelectChoice("flagged", _l("Flag: the roles should change"))],
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note (what should change, and why)"), validators=[Length(max=500)])
