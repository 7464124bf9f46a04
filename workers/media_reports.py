"""Hashing and matching reporters' images (anonymous reports' image attachments).

The attachment was already decoded and re-encoded without metadata in the upload sandbox when
the reporter sent it (core/uploads.py), so here it is only opened, hashed (PDQ + SHA-256) and
matched against the active lists, one image per transaction. A child-abuse match restricts the
attachment to the safeguarding lead, makes the report's case an urgent safeguarding referral,
preserves the evidence (a legal hold, as the system) and prepares the hotline report record.

Jobs take ids and are idempotent (a row no longer pending is left alone); the report view
enqueues `hash_case_images` after its commit and the periodic "media-fetch" job sweeps anything
pending (a Redis outage, a retry's backoff).
"""

from __future__ import annotations

import logging
from datetime import datetime

from c2c_safety.core.crypto import open_bytes
from c2c_safety.media import report_images
from c2c_safety.safeguarding import concerns, hotline_records
from models import Attachment, CaseFile, utcnow
from models.media import ListAction
from workers.context import job_session
from workers.media_hash import MIN_QUALITY, hash_image
from workers.media_match import match

log = logging.getLogger(__name__)


def process(image_id: int, now: datetime | None = None) -> str:
    """Hash and match one reporter's image (idempotent); returns what happened."""
    now = now or utcnow()
    with job_session() as s:
        row = report_images.pending(s, image_id)
        if row is None:
            return "not pending"
        att = s.get(Attachment, row.attachment_id)
        if att is None or att.data_sealed is None:  # redacted or anonymised before we got to it
            report_images.fail(s, row, "gone", final=True, now=now)
            s.commit()
            return "gone"
        try:
            hashes = hash_image(open_bytes(att.data_sealed))
        except (OSError, ValueError, SyntaxError):  # PIL's errors for a file it cannot read
            report_images.fail(s, row, "broken", final=True, now=now)
            s.commit()
            return "broken"
        report_images.store(s, row, sha256=hashes.sha256, pdq=hashes.pdq, quality=hashes.quality, now=now)
        outcome = "hashed"
        found = match(s, hashes.pdq) if hashes.quality >= MIN_QUALITY else []
        if found:
            best = min(found, key=lambda m: (m.action != ListAction.CHILD_ABUSE, m.distance))
            report_images.record_match(s, row, list_id=best.list_id, action=best.action, distance=best.distance,
                                       reference=best.external_id, source=best.source)
            if best.action == ListAction.CHILD_ABUSE:
                case = s.get(CaseFile, row.case_id)
                assert case is not None
                ref = concerns.refer_for_known_image(s, case, actor_label=hotline_records.SYSTEM_ACTOR, now=now)
                hotline_records.known_image_matched(s, ref, hotline_records.entry(
                    image=f"report attachment {row.attachment_id}", pdq=hashes.pdq, sha256=hashes.sha256,
                    list_name=best.list_name, source=best.source, list_reference=best.external_id,
                    distance=best.distance, at=now))
            outcome = f"matched:{best.action}"
        s.commit()
    log.info("report image %s: %s", image_id, outcome)
    return outcome


def hash_case_images(case_id: int) -> int:
    """The job the report view enqueues after its commit: every pending image of the case."""
    with job_session() as s:
        ids = report_images.of_case(s, case_id)
    for image_id in ids:
        process(image_id)
    return len(ids)


def due() -> int:
    """Pending reporters' images whose attempt is due (called by the periodic media job)."""
    with job_session() as s:
        ids = report_images.due(s)
    for image_id in ids:
        process(image_id)
    return len(ids)
