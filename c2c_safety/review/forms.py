"""Queue forms. Decision radios have NO default: nothing is pre-selected for the moderator."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
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


def choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """Labels may be lazy strings (flask_babel.lazy_gettext): translated when the page renders."""
    return [SelectChoice(v, label) for v, label in pairs]


def lazy_labels(labels: dict[str, str]) -> list[tuple[str, Any]]:
    """A label table marked with `N_` as choices in the page's language."""
    return [(v, _l(label)) for v, label in labels.items()]


def _opts(values: tuple[str, ...] | list[str], any_label: Any) -> list[SelectChoice]:
    return choices([("", any_label), *[(v, v.replace("_", " ")) for v in values]])


class FilterForm(FlaskForm):
    """GET filters: no state change, so no CSRF token in the URL."""

    class Meta:
        csrf = False

    category = SelectField(_l("Category"), choices=_opts([*CATEGORIES, "unscored"], _l("Any category")),
                           validators=[Optional()])
    age_band = SelectField(_l("Author's age band"), choices=_opts(queue.AGE_BANDS, _l("Any age")),
                           validators=[Optional()])
    language = SelectField(_l("Language"), choices=_opts(queue.LANGUAGES, _l("Any language")),
                           validators=[Optional()])
    source = SelectField(_l("Flagged by"), choices=_opts(queue.SOURCES, _l("Anyone")), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices([("", _l("All waiting")), *lazy_labels(queue.STATUSES)]),
                         validators=[Optional()])
    waiting = SelectField(_l("Waiting"), choices=choices([("", _l("Any time")), ("1h", _l("over 1 hour")),
                                                      ("24h", _l("over 24 hours")), ("72h", _l("over 3 days"))]),
                          validators=[Optional()])


class DecideForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])  # fits the column
    action = RadioField(_l("Decision"), choices=choices(lazy_labels(ACTION_LABELS)), default=None,
                        validators=[InputRequired(message=_l("Choose a decision."))])
    reason_code = SelectField(_l("Policy ground (reason)"), choices=[], validate_choice=False,
                              validators=[InputRequired(message=_l("Choose a reason from the policy list."))])
    duration = SelectField(_l("For how long (for removal, restriction or suspension)"),
                           choices=choices([("", _l("Choose a duration")), *lazy_labels(DURATIONS)]),
                           validators=[Optional()])
    restriction = TextAreaField(_l("Anything to add about what is restricted (optional)"),
                                validators=[Optional(), Length(max=500)])
    facts = TextAreaField(_l("Facts and circumstances relied on"),
                          validators=[InputRequired(message=_l("Describe the facts and circumstances.")),
                                      Length(min=MIN_FACTS, max=5000)])
    # Shown after the desk refused a decision on sensitive content nobody revealed.
    confirm_unrevealed = BooleanField(_l("I confirm I decide without looking at the content"))
    # With "escalate to the safeguarding lead": ask the platform to hide the content now.
    hide_content = BooleanField(_l("Also ask the platform to hide the content now (it is kept for the "
                                   "safeguarding lead, not deleted)"))
    # Shown after the desk asked to confirm a "no violation" on a child-safety item about a minor.
    confirm_support = BooleanField(_l("I confirm it breaks no rule; send the author the supportive notice "
                                      "with helplines"))
    # Shown when other waiting items have the same text (a spam wave).
    bulk = BooleanField(_l("Also apply this decision to the other waiting items with the same text"))


class SkipForm(FlaskForm):
    """Skip an item for this session, with a reason (review/skips.py)."""

    reason = RadioField(_l("Why are you skipping it?"), choices=choices(lazy_labels(skips.REASONS)), default=None,
                        validators=[InputRequired(message=_l("Choose why you are skipping this item."))])
    category = SelectField(_l("The category you need a break from"),
                           choices=_opts(list(CATEGORIES), _l("Choose a category (for a break)")),
                           validators=[Optional()])


class UpholdForm(FlaskForm):
    """Uphold the decision under appeal in one action; the original statement is kept."""

    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField(_l("A note for the person who complained (optional)"),
                         validators=[Optional(), Length(max=2000)])
    confirm_unrevealed = BooleanField(_l("I confirm I decide without looking at the content"))
    confirm_support = BooleanField(_l("I confirm it breaks no rule; send the author the supportive notice "
                                      "with helplines"))


class AppealDecideForm(DecideForm):
    appeal_outcome = RadioField(_l("Appeal outcome"), choices=choices(lazy_labels(APPEAL_OUTCOMES)), default=None,
                                validators=[InputRequired(message=_l("Choose uphold or reverse."))])
    action = RadioField(_l("If you reverse it: the decision that replaces it"),
                        choices=choices([(a, _l(ACTION_LABELS[a])) for a in APPEAL_ACTIONS]), default=None,
                        validators=[Optional()])


class NoteForm(FlaskForm):
    """An internal note (on an account or an item): never sent to the author."""

    text = TextAreaField(_l("Note (internal: never sent to the author)"),
                         validators=[InputRequired(message=_l("Write the note.")), Length(max=2000)])


class AskForm(FlaskForm):
    """Ask a senior colleague about an item; the item waits in their list."""

    senior = SelectField(_l("Ask"), choices=[], validate_choice=False,
                         validators=[InputRequired(message=_l("Choose a colleague."))])
    question = TextAreaField(_l("Your question (internal: never sent to the author)"),
                             validators=[InputRequired(message=_l("Write your question.")), Length(max=2000)])


class SaveViewForm(FlaskForm):
    name = StringField(_l("Name this view"), validators=[InputRequired(message=_l("Name the view.")), Length(max=60)])
