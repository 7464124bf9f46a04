from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from c2c_safety.cases.lifecycle import OUTCOME_LABELS
from c2c_safety.cases.redaction import REASONS, TARGETS
from c2c_safety.core import uploads
from c2c_safety.core.params import BoundedIntegerField

TARGET_LABELS = {"body": _l("What happened"), "occurred": _l("When and where"), "involved": _l("Who was involved"),
                 "contact": _l("Contact details"), "message": _l("A message (give its number)"),
                 "note": _l("An internal note (give its number)"),
                 "attachment": _l("An attachment (give its number)")}


def choices(pairs: object) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects, not (value, label) tuples."""
    return [SelectChoice(v, label) for v, label in pairs]  # type: ignore[attr-defined]


class StepForm(FlaskForm):
    """Acknowledge, start investigating, lift a hold: the button is the whole form."""


class FeedbackForm(FlaskForm):
    text = TextAreaField(_l("Feedback to the reporter"), validators=[Optional(), Length(max=20_000)])


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"),
                          choices=choices([("", _l("Choose an outcome")),
                                           *((k, _l(v)) for k, v in OUTCOME_LABELS.items())]),
                          validators=[DataRequired(message=_l("Choose an outcome."))])
    # Required (by cases.closing) when the outcome is a referral to an authority.
    authority = StringField(_l("Authority referred to (when referred externally)"),
                            validators=[Optional(), Length(max=200)])
    authority_ref = StringField(_l("Its reference number for the matter"),
                                validators=[Optional(), Length(max=100)])
    # Required (cases.closing) for substantiated, partly and not substantiated; sealed.
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=20_000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=10, max=2000)])


def file_refusal(code: str) -> str:
    """Why a file for the reporter was refused (core/uploads.py's codes), for the form."""
    texts = {
        "too_large": _("The file is larger than 5 MB."),
        "empty": _("The file is empty."),
        "bad_type": _("This kind of file cannot be sent. Use JPEG, PNG, GIF, WebP, PDF or plain text."),
        "bomb": _("The picture has too many pixels to check."),
        "broken": _("The file seems damaged and could not be opened."),
        "pdf_active": _("The PDF holds active content (such as scripts); send a screenshot or a plain PDF."),
        "pdf_encrypted": _("The PDF is protected with a password, so it cannot be checked."),
        "pdf_complex": _("The PDF is too large or complicated to check."),
        "too_complex": _("The file needs too much work to check. Try a smaller picture."),
        "busy": _("Many files are being checked right now. Try again in a minute."),
    }
    return str(texts.get(code) or _("The file could not be checked, so it was not sent."))


class ReporterFileField(FileField):
    """One optional file for the reporter, cleaned like the reporter's own uploads
    (core/uploads.py: images re-encoded without metadata, PDFs checked in the sandbox, other
    types refused). After validation `cleaned` holds what may be stored, or None."""

    cleaned: uploads.CleanFile | None = None

    def pre_validate(self, form: Any) -> None:
        self.cleaned = None
        storage = self.data
        if not isinstance(storage, FileStorage) or not storage.filename:
            return
        name = storage.filename
        try:
            self.cleaned = uploads.clean(name, uploads.read_upload(storage.stream, name))
        except uploads.AttachmentRejectedError as exc:
            raise ValidationError(file_refusal(exc.code)) from None

    def files(self) -> list[uploads.CleanFile]:
        return [self.cleaned] if self.cleaned is not None else []


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Message to the reporter"), validators=[DataRequired(), Length(max=20_000)])
    file = ReporterFileField(_l("A file for the reporter (optional)"))


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note (the reporter never sees it)"),
                         validators=[DataRequired(), Length(max=20_000)])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), coerce=int, validate_choice=True)


class ExcludeForm(FlaskForm):
    person = SelectField(_l("Staff account to exclude"), coerce=int, validate_choice=True)
    reason = TextAreaField(_l("Why (sealed; never shown to them)"),
                           validators=[DataRequired(), Length(min=5, max=2000)])


class RecuseForm(FlaskForm):
    reason = TextAreaField(_l("Why you step back (sealed)"),
                           validators=[DataRequired(), Length(min=5, max=2000)])


class RedactForm(FlaskForm):
    target = SelectField(_l("What to redact"), choices=choices((t, TARGET_LABELS[t]) for t in TARGETS),
                         validators=[DataRequired()])
    # Bounded: a number past the id column's range would reach the database (issue 10: a 500).
    target_id = BoundedIntegerField(_l("Number of the message, note or attachment"), lo=1,
                                    validators=[Optional()])
    span = StringField(_l("Exact text to redact (leave empty to redact all of it)"),
                       validators=[Optional(), Length(max=2000)])
    reason = SelectField(_l("Reason"), choices=choices((k, _l(v)) for k, v in REASONS.items()),
                         validators=[DataRequired()])


class ExcludeByReferenceForm(FlaskForm):
    reference = StringField(_l("Case reference"), validators=[DataRequired(), Length(max=20)])
    email = StringField(_l("E-mail of the staff account to exclude"),
                        validators=[DataRequired(), Length(max=254)])
    reason = TextAreaField(_l("Why (sealed; never shown to them)"),
                           validators=[DataRequired(), Length(min=5, max=2000)])
