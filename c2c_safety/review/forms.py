"""Queue forms. Decision radios have NO default: nothing is pre-selected for the moderator."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from c2c_safety.core.params import BoundedIntegerField
from c2c_safety.review import queue, skips
from c2c_safety.review.decisions import ACTION_LABELS, APPEAL_ACTIONS, APPEAL_OUTCOMES, MIN_FACTS
from c2c_safety.review.statements import DURATIONS
from classifiers import CATEGORIES


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(v, label) for v, label in pairs]


def _opts(values: tuple[str, ...] | list[str], any_label: str) -> list[SelectChoice]:
    return choices([("", any_label), *[(v, v.replace("_", " ")) for v in values]])


class FilterForm(FlaskForm):
    """GET filters: no state change, so no CSRF token in the URL."""

    class Meta:
        csrf = False

    category = SelectField("Category", choices=_opts([*CATEGORIES, "unscored"], "Any category"),
                           validators=[Optional()])
    age_band = SelectField("Author's age band", choices=_opts(queue.AGE_BANDS, "Any age"),
                           validators=[Optional()])
    language = SelectField("Language", choices=_opts(queue.LANGUAGES, "Any language"),
                           validators=[Optional()])
    source = SelectField("Flagged by", choices=_opts(queue.SOURCES, "Anyone"), validators=[Optional()])
    status = SelectField("Status", choices=choices([("", "All waiting"), *queue.STATUSES.items()]),
                         validators=[Optional()])
    waiting = SelectField("Waiting", choices=choices([("", "Any time"), ("1h", "over 1 hour"),
                                                      ("24h", "over 24 hours"), ("72h", "over 3 days")]),
                          validators=[Optional()])


class DecideForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])  # fits the column
    action = RadioField("Decision", choices=choices(list(ACTION_LABELS.items())), default=None,
                        validators=[InputRequired(message="Choose a decision.")])
    reason_code = SelectField("Policy ground (reason)", choices=[], validate_choice=False,
                              validators=[InputRequired(message="Choose a reason from the policy list.")])
    duration = SelectField("For how long (for removal, restriction or suspension)",
                           choices=choices([("", "Choose a duration"), *DURATIONS.items()]),
                           validators=[Optional()])
    restriction = TextAreaField("Anything to add about what is restricted (optional)",
                                validators=[Optional(), Length(max=500)])
    facts = TextAreaField("Facts and circumstances relied on",
                          validators=[InputRequired(message="Describe the facts and circumstances."),
                                      Length(min=MIN_FACTS, max=5000)])
    # Shown after the desk refused a decision on sensitive content nobody revealed.
    confirm_unrevealed = BooleanField("I confirm I decide without looking at the content")
    # With "escalate to the safeguarding lead": ask the platform to hide the content now.
    hide_content = BooleanField("Also ask the platform to hide the content now (it is kept for the "
                                "safeguarding lead, not deleted)")
    # Shown after the desk asked to confirm a "no violation" on a child-safety item about a minor.
    confirm_support = BooleanField("I confirm it breaks no rule; send the author the supportive notice "
                                   "with helplines")
    # Shown when other waiting items have the same text (a spam wave).
    bulk = BooleanField("Also apply this decision to the other waiting items with the same text")


class SkipForm(FlaskForm):
    """Skip an item for this session, with a reason (review/skips.py)."""

    reason = RadioField("Why are you skipping it?", choices=choices(list(skips.REASONS.items())), default=None,
                        validators=[InputRequired(message="Choose why you are skipping this item.")])
    category = SelectField("The category you need a break from",
                           choices=_opts(list(CATEGORIES), "Choose a category (for a break)"),
                           validators=[Optional()])


class UpholdForm(FlaskForm):
    """Uphold the decision under appeal in one action; the original statement is kept."""

    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField("A note for the person who complained (optional)",
                         validators=[Optional(), Length(max=2000)])
    confirm_unrevealed = BooleanField("I confirm I decide without looking at the content")
    confirm_support = BooleanField("I confirm it breaks no rule; send the author the supportive notice "
                                   "with helplines")


class AppealDecideForm(DecideForm):
    appeal_outcome = RadioField("Appeal outcome", choices=choices(list(APPEAL_OUTCOMES.items())), default=None,
                                validators=[InputRequired(message="Choose uphold or reverse.")])
    action = RadioField("If you reverse it: the decision that replaces it",
                        choices=choices([(a, ACTION_LABELS[a]) for a in APPEAL_ACTIONS]), default=None,
                        validators=[Optional()])


class NoteForm(FlaskForm):
    """An internal note (on an account or an item): never sent to the author."""

    text = TextAreaField("Note (internal: never sent to the author)",
                         validators=[InputRequired(message="Write the note."), Length(max=2000)])


class AskForm(FlaskForm):
    """Ask a senior colleague about an item; the item waits in their list."""

    senior = SelectField("Ask", choices=[], validate_choice=False,
                         validators=[InputRequired(message="Choose a colleague.")])
    question = TextAreaField("Your question (internal: never sent to the author)",
                             validators=[InputRequired(message="Write your question."), Length(max=2000)])


class SaveViewForm(FlaskForm):
    name = StringField("Name this view", validators=[InputRequired(message="Name the view."), Length(max=60)])
