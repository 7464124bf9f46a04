from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from c2c_safety.review.decisions import ACTION_LABELS
from c2c_safety.review.forms import choices
from c2c_safety.review.policy import MAX_TARGET_HOURS
from c2c_safety.review.statements import DURATIONS
from classifiers import CATEGORIES


class ReasonForm(FlaskForm):
    code = StringField("Code (letters, digits, underscores; fixed once created)",
                       validators=[DataRequired(), Length(max=40), Regexp(r"^[a-z0-9_]+$",
                                   message="Use lower-case letters, digits and underscores.")])
    label = StringField("Label shown to moderators", validators=[DataRequired(), Length(max=120)])
    ground = TextAreaField("Policy ground quoted in statements of reasons",
                           validators=[DataRequired(), Length(min=10, max=2000)])
    category = SelectField("Related AI category", choices=choices([("", "None"), *[(c, c) for c in CATEGORIES]]),
                           validators=[Optional()])
    safeguarding = BooleanField("A safeguarding reason (child safety)")
    active = BooleanField("Offered to moderators")
    position = IntegerField("Position in the list", default=100,
                            validators=[DataRequired(), NumberRange(min=0, max=10_000)])
    template_action = TextAreaField(
        "Preset statement for acting on this ground (empty: no preset)",
        validators=[Optional(), Length(min=20, max=2000)])
    preset_action = SelectField("What that preset does", choices=choices(list(ACTION_LABELS.items())),
                                default="remove", validators=[Optional()])
    preset_duration = SelectField("For how long (removal, restriction, suspension)",
                                  choices=choices([("", "Not applicable"), *DURATIONS.items()]),
                                  validators=[Optional()])
    template_no_violation = TextAreaField(
        "Preset statement for \"no violation\" on this ground (empty: no preset)",
        validators=[Optional(), Length(min=20, max=2000)])


class TargetForm(FlaskForm):
    hours = IntegerField("Safeguarding target time (hours)",
                         validators=[DataRequired(), NumberRange(min=1, max=MAX_TARGET_HOURS)])
