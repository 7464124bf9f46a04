"""The anonymous forms, parsed and checked by hand.

Not Flask-WTF: its CSRF lives in the session cookie (these pages set none), and errors here
are English msgids (report/texts.py) so each reporter reads them in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import FileStorage, ImmutableMultiDict

from c2c_safety.core.uploads import AttachmentRejectedError
from c2c_safety.report import reports, texts

FieldErrors = dict[str, tuple[str, dict[str, object]]]  # field -> (msgid, values)

LIMITS = {"what": reports.MAX_BODY, "when": reports.MAX_WHEN, "who": reports.MAX_WHO,
          "contact": reports.MAX_CONTACT, "message": reports.MAX_BODY}


def _text(form: ImmutableMultiDict[str, str], name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n")


def _check_lengths(values: dict[str, str], errors: FieldErrors) -> None:
    for name, value in values.items():
        limit = LIMITS.get(name)
        if limit is not None and len(value) > limit and name not in errors:
            errors[name] = (texts.ERR_TOO_LONG, {"max": limit})


def chosen_files(files: ImmutableMultiDict[str, FileStorage], name: str = "attachments") -> list[FileStorage]:
    """The files actually chosen (an empty file input still sends one nameless part)."""
    return [f for f in files.getlist(name) if f.filename]


def file_errors(refused: list[AttachmentRejectedError]) -> list[tuple[str, dict[str, object]]]:
    return [(texts.FILE_REFUSALS.get(r.code, texts.FILE_REFUSALS["broken"]), {"name": r.filename})
            for r in refused]


def _choice(form: ImmutableMultiDict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    # Optional choices: anything unknown counts as "not said", never as an error.
    value = form.get(name, "")
    return value if value in allowed else ""


@dataclass
class ReportForm:
    category: str = ""
    what: str = ""
    when: str = ""
    who: str = ""
    contact: str = ""
    about: str = ""  # "me" | "someone_else" | "" (not said)
    age_band: str = ""
    meeting: str = ""  # adults only: "meeting" | "oral" | ""
    errors: FieldErrors = field(default_factory=dict)
    files: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    @classmethod
    def parse(cls, form: ImmutableMultiDict[str, str]) -> ReportForm:
        f = cls(category=form.get("category", ""), what=_text(form, "what"), when=_text(form, "when"),
                who=_text(form, "who"), contact=_text(form, "contact"),
                about=_choice(form, "about", reports.ABOUT), age_band=_choice(form, "age_band", reports.AGE_BANDS),
                meeting=_choice(form, "meeting", reports.MEETINGS))
        if f.category not in reports.CATEGORIES:
            f.errors["category"] = (texts.ERR_CATEGORY, {})
            f.category = ""
        if not f.what.strip():
            f.errors["what"] = (texts.ERR_WHAT, {})
        _check_lengths({"what": f.what, "when": f.when, "who": f.who, "contact": f.contact}, f.errors)
        return f

    @property
    def valid(self) -> bool:
        return not self.errors and not self.files

    def to_input(self, language: str) -> reports.ReportInput:
        return reports.ReportInput(category=self.category, what=self.what, when=self.when.strip(),
                                   who=self.who, contact=self.contact, language=language, about=self.about,
                                   age_band=self.age_band, meeting=self.meeting)


@dataclass
class ReplyForm:
    message: str = ""
    errors: FieldErrors = field(default_factory=dict)
    files: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    @classmethod
    def parse(cls, form: ImmutableMultiDict[str, str], has_files: bool) -> ReplyForm:
        f = cls(message=_text(form, "message"))
        if not f.message.strip() and not has_files:
            f.errors["message"] = (texts.ERR_MESSAGE, {})
        _check_lengths({"message": f.message}, f.errors)
        return f

    @property
    def valid(self) -> bool:
        return not self.errors and not self.files
