"""Forms of the safeguarding desk. Nothing is pre-selected: no radio is checked and every
select starts on "Choose…", so the lead picks each action and each person themselves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from c2c_safety.core.params import BoundedIntegerField
from c2c_safety.review.forms import choices, lazy_labels
from c2c_safety.safeguarding.actions import OUTCOMES
from c2c_safety.safeguarding.people import AGE_BANDS, PARTS, PLATFORM_ROLES


class RecordForm(FlaskForm):
    """Something the lead did about one person (the person is in the URL)."""

    kind = RadioField(_l("What did you do?"), choices=[], default=None, validate_choice=False,
                      validators=[InputRequired(message=_l("Choose what you did."))])
    authority = StringField(_l("Authority (for a notification or referral)"), validators=[Optional(), Length(max=200)])
    authority_ref = StringField(_l("Their reference number for the matter"), validators=[Optional(), Length(max=100)])
    hotline = SelectField(_l("Hotline (for a hotline report)"), choices=[], validate_choice=False,
                          validators=[Optional()])
    detail = TextAreaField(_l("Details (who you spoke to, what was agreed; for a note: the note)"),
                           validators=[Optional(), Length(max=5000)])


WHY_LABEL = _l("Why (kept in the referral, never sent to the platform)")


class RequestForm(FlaskForm):
    """The request and its reason (POST, changes nothing): leads to the confirmation page."""

    kind = RadioField(_l("Ask the platform to"), choices=[], default=None, validate_choice=False,
                      validators=[InputRequired(message=_l("Choose what to ask the platform."))])
    detail = TextAreaField(WHY_LABEL, validators=[Optional(), Length(max=5000)])


class ConfirmForm(FlaskForm):
    """The confirmation page's POST: only this sends a request to the platform, and only with
    the page's signed token and the reason it was issued for (confirmation.py)."""

    kind = HiddenField()
    detail = HiddenField()
    token = HiddenField()


class WithdrawReasonForm(FlaskForm):
    detail = TextAreaField(_l("Why withdraw it (kept in the referral, never sent to the platform)"),
                           validators=[Optional(), Length(max=5000)])


class WithdrawForm(FlaskForm):
    """The withdrawal confirmation's POST: the reason shown and the page's signed token."""

    detail = HiddenField()
    token = HiddenField()


class PersonForm(FlaskForm):
    part = SelectField(_l("Part in the referral"), choices=choices([("", _l("Choose…")), *lazy_labels(PARTS)]),
                       validators=[InputRequired(message=_l("Choose the part this person plays."))])
    platform_role = SelectField(_l("Role on the platform"),
                                choices=choices([("", _l("Choose…")), *lazy_labels(PLATFORM_ROLES)]),
                                validators=[InputRequired(message=_l("Choose their role."))])
    age_band = SelectField(_l("Age band"), choices=choices([("", _l("Choose…")), *lazy_labels(AGE_BANDS)]),
                           validators=[InputRequired(message=_l("Choose their age band."))])


class AddPersonForm(PersonForm):
    pseudonym = StringField(_l("Platform pseudonym, or a short description if they have none"),
                            validators=[InputRequired(), Length(max=128)])


class AssignForm(FlaskForm):
    lead = SelectField(_l("Named lead"), choices=[], validate_choice=False)
    deputy = SelectField(_l("Deputy"), choices=[], validate_choice=False)


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=choices([("", _l("Choose an outcome")), *lazy_labels(OUTCOMES)]),
                          validators=[InputRequired(message=_l("Choose the outcome."))])
    detail = TextAreaField(_l("Reason for closing (required, at least 20 characters)"),
                           validators=[Optional(), Length(max=5000)])


class NoteForm(FlaskForm):
    detail = TextAreaField(_l("Note on the whole referral"), validators=[InputRequired(message=_l("Write the note.")),
                                                                      Length(max=5000)])


class HoldForm(FlaskForm):
    """Place or release a legal hold: the reason is the form (evidence.py)."""

    detail = TextAreaField(_l("Why (e.g. the police asked us to preserve it; required, at least 20 characters)"),
                           validators=[Optional(), Length(max=5000)])


class HotlineSentForm(FlaskForm):
    """The lead sent the hotline report record (hotline_records.py): to which hotline, its reference."""

    hotline = SelectField(_l("Hotline you sent it to"), choices=[], validate_choice=False,
                          validators=[Optional()])
    reference = StringField(_l("The hotline's reference for your report"),
                            validators=[Optional(), Length(max=200)])


class SettingsForm(FlaskForm):
    ceo_after_hours = BoundedIntegerField(_l("Escalate to the CEO this many hours after the deputy"),
                                          lo=1, hi=24 * 14, validators=[InputRequired()])
    hotlines = TextAreaField(_l("Hotlines for sexual images of a child (one per line)"),
                             validators=[InputRequired(), Length(max=400)])


class StepForm(FlaskForm):
    """A button that is the whole form (mark seen)."""


class AccountRestrictForm(FlaskForm):
    """The account page's request and its reason (POST, changes nothing): leads to the
    confirmation page (safeguarding/account_requests.py)."""

    detail = TextAreaField(_l("Why the account should be restricted (kept on the desk, never sent to the platform)"),
                           validators=[DataRequired(message=_l("Write why: a reason is required.")),
                                       Length(max=5000)])


class AccountConfirmForm(FlaskForm):
    """The account confirmation page's POST: the reason shown and its signed token."""

    detail = HiddenField()
    token = HiddenField()


class AccountWithdrawForm(FlaskForm):
    """The reason for withdrawing an account request (POST, changes nothing)."""

    detail = TextAreaField(_l("Why withdraw it (kept on the desk, never sent to the platform)"),
                           validators=[DataRequired(message=_l("Write why: a reason is required.")),
                                       Length(max=5000)])
