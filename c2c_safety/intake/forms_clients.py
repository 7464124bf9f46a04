"""Admin forms for the token API's clients."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    name = StringField(_l("Name of the integration (e.g. platform-prod)"),
                       validators=[DataRequired(message=_l("Name the client.")), Length(max=80)])
    # No scope is ticked for the admin: they choose what the new key may do.
    scopes = _Checkboxes(_l("What it may do"), choices=[SelectChoice(k, k) for k in SCOPES],
                         validators=[DataRequired(message=_l("Choose at least one scope."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Worded per request as plain text: a lazy string would reach the page unescaped
        # (Flask-Babel's LazyString claims to be HTML), and "<id>" is text here.
        self.scopes.choices = [SelectChoice(k, _("%(scope)s: %(what)s", scope=k, what=str(v)))
                               for k, v in SCOPES.items()]


class RevokeForm(FlaskForm):
    """The revocation confirmation's POST: the button is the whole form."""
