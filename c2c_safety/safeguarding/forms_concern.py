"""Forms for the concern itself: the lead's risk level, a reply to the reporter, linking a
case. Nothing is pre-selected (the risk select starts on "Choose…")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from c2c_safety.cases.forms import ReporterFileField
from c2c_safety.review.forms import choices
from c2c_safety.safeguarding.risk import LEVELS


class RiskForm(FlaskForm):
    level = SelectField(_l("Risk level"),
                        choices=choices([("", _l("Choose…")), *((str(k), _l(v)) for k, v in LEVELS.items())]),
                        validators=[InputRequired(message=_l("Choose a risk level."))])
    reason = TextAreaField(_l("Why (kept in the referral's risk history)"),
                           validators=[InputRequired(message=_l("Say why.")), Length(max=2000)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Message to the reporter (they read it with their receipt)"),
                         validators=[InputRequired(message=_l("Write the message.")), Length(max=20000)])
    # Cleaned like the reporter's own uploads (cases/forms.py, core/uploads.py).
    file = ReporterFileField(_l("A file for the reporter (optional)"))


class LinkForm(FlaskForm):
    reference = StringField(_l("Case reference (e.g. AR-ABCD-EFGH)"),
                            validators=[InputRequired(message=_l("Give the case's reference.")), Length(max=20)])
