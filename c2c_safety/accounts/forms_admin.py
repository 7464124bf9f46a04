from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from c2c_safety.core.templating import role_label
from models import Role

ROLE_CHOICES = [SelectChoice(r.value, role_label(r.value)) for r in Role]  # "CEO", not "Ceo"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreateUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Name", validators=[Length(max=120)])
    password = PasswordField("Initial password (at least 12 characters)",
                             validators=[DataRequired(), Length(min=12, max=72)],
                             render_kw={"autocomplete": "new-password"})
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, validators=[DataRequired()])


class DecideForm(FlaskForm):
    """Confirm, reject or reset buttons: only the CSRF token."""


class EditUserForm(FlaskForm):
    # May be empty: removing every role leaves an account that can only sign in.
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)
    active = BooleanField("Account is active")
