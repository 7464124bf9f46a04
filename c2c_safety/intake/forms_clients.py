"""Admin forms for the token API's clients."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from c2c_safety.intake.api_keys import SCOPES


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreateClientForm(FlaskForm):
    name = StringField("Name of the integration (e.g. platform-prod)",
                       validators=[DataRequired(message="Name the client."), Length(max=80)])
    # No scope is ticked for the admin: they choose what the new key may do.
    scopes = _Checkboxes("What it may do", choices=[SelectChoice(k, f"{k}: {v}") for k, v in SCOPES.items()],
                         validators=[DataRequired(message="Choose at least one scope.")])


class RevokeForm(FlaskForm):
    """The revocation confirmation's POST: the button is the whole form."""
