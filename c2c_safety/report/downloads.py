"""Files the desk sent the reporter (cases/lifecycle.py `send_message`, cleaned by
core/uploads.py), downloaded from the status page with the receipt code.

The code is the reporter's only key: it travels in the download form's POST body, as on every
follow-up page, never in a URL, a cookie or a log. A file is served only from the case the
code opens, only if the desk sent it (never the reporter's own uploads, which would let a
stolen code read what was reported) and only while it is stored (redaction and anonymisation
remove it). The download is audited with the file and case only: no address, no browser, no
code, nothing about the reporter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import attachments
from c2c_safety.core.crypto import open_text
from models import Attachment, CaseFile


@dataclass(frozen=True)
class FileView:
    id: int
    name: str
    size: int
    available: bool  # False once redacted: the reporter sees it was there, not what it was


def sent_to_reporter(case: CaseFile) -> dict[int, list[FileView]]:
    """The desk's files per message id, for the status page."""
    out: dict[int, list[FileView]] = {}
    for att in case.attachments:
        if not att.from_reporter and att.message_id is not None:
            out.setdefault(att.message_id, []).append(FileView(
                att.id, open_text(att.filename_sealed) or "attachment", att.size, att.data_sealed is not None))
    return out


def open_for_reporter(session: Session, case: CaseFile, attachment_id: int) -> tuple[str, str, bytes] | None:
    """(media type, file name, bytes) of a file the desk sent on this case, the download
    audited (the caller commits); None if there is no such file for this code."""
    att = session.get(Attachment, attachment_id)
    if att is None or att.case_id != case.id or att.from_reporter or att.data_sealed is None:
        return None
    media_type, name, data = attachments.open_attachment(session, att.id)
    audit.record(session, "case.reporter_downloaded_file", actor_label="anonymous reporter",
                 target_type="attachment", target_id=att.id, case_id=case.id)
    return media_type, name, data
