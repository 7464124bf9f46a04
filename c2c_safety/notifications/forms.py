from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesForm(FlaskForm):
    """The kinds this person wants e-mailed; the choices are the kinds their roles receive."""

    email = _Checkboxes(_l("Send me an e-mail as well for"), choices=[], validate_choice=True)


class PostForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
