"""A case file's attachments, sealed at rest (AES-GCM, core/crypto.py) and never served
publicly: staff routes read them with `open_attachment`, check access and audit.

What may be attached, and how it is cleaned first, is core/uploads.py.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.core.crypto import open_bytes, open_text, seal_bytes, seal_text
from c2c_safety.core.uploads import CleanFile
from models import Attachment, CaseFile
from models.media import ReportImage

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})  # what the upload sandbox re-encodes images to


def store(session: Session, case: CaseFile, file: CleanFile, *, message_id: int | None = None,
          from_reporter: bool = True) -> Attachment:
    att = Attachment(
        case_id=case.id, message_id=message_id, from_reporter=from_reporter,
        media_type=file.media_type, size=len(file.data),
        filename_sealed=seal_text(file.filename), data_sealed=seal_bytes(file.data),
    )
    session.add(att)
    session.flush()
    if from_reporter and file.media_type in IMAGE_TYPES:
        # Hashed and matched against the hash lists by a worker, like a flag's image (docs/media.md).
        session.add(ReportImage(case_id=case.id, attachment_id=att.id))
        session.flush()
    return att


def open_attachment(session: Session, attachment_id: int) -> tuple[str, str, bytes]:
    """(media_type, filename, bytes) of a stored attachment, for staff download routes.

    The caller checks access and writes the audit row; serve with Content-Disposition:
    attachment and X-Content-Type-Options: nosniff, never inline.
    """
    att = session.get(Attachment, attachment_id)
    if att is None or att.data_sealed is None:
        raise LookupError(f"no attachment {attachment_id}")
    return att.media_type, open_text(att.filename_sealed) or "attachment", open_bytes(att.data_sealed)
