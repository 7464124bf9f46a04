from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from c2c_safety.review.decisions import ACTION_LABELS
from c2c_safety.review.forms import choices, lazy_labels
from c2c_safety.review.policy import MAX_TARGET_HOURS
from c2c_safety.review.statements import DURATIONS
from classifiers import CATEGORIES


class ReasonForm(FlaskForm):
    code = StringField(_l("Code (letters, digits, underscores; fixed once created)"),
                       validators=[DataRequired(), Length(max=40), Regexp(r"^[a-z0-9_]+$",
                                   message=_l("Use lower-case letters, digits and underscores."))])
    label = StringField(_l("Label shown to moderators"), validators=[DataRequired(), Length(max=120)])
    ground = TextAreaField(_l("Policy ground quoted in statements of reasons"),
                           validators=[DataRequired(), Length(min=10, max=2000)])
    category = SelectField(_l("Related AI category"),
                           choices=choices([("", _l("None")), *[(c, c) for c in CATEGORIES]]),
                           validators=[Optional()])
    safeguarding = BooleanField(_l("A safeguarding reason (child safety)"))
    active = BooleanField(_l("Offered to moderators"))
    position = IntegerField(_l("Position in the list"), default=100,
                            validators=[DataRequired(), NumberRange(min=0, max=10_000)])
    template_action = TextAreaField(
        _l("Preset statement for acting on this ground (empty: no preset)"),
        validators=[Optional(), Length(min=20, max=2000)])
    preset_action = SelectField(_l("What that preset does"), choices=choices(lazy_labels(ACTION_LABELS)),
                                default="remove", validators=[Optional()])
    preset_duration = SelectField(_l("For how long (removal, restriction, suspension)"),
                                  choices=choices([("", _l("Not applicable")), *lazy_labels(DURATIONS)]),
                                  validators=[Optional()])
    template_no_violation = TextAreaField(
        _l("Preset statement for \"no violation\" on this ground (empty: no preset)"),
        validators=[Optional(), Length(min=20, max=2000)])


class TargetForm(FlaskForm):
    hours = IntegerField(_l("Safeguarding target time (hours)"),
                         validators=[DataRequired(), NumberRange(min=1, max=MAX_TARGET_HOURS)])
