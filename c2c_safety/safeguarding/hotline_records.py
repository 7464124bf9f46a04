"""The hotline report record of known abuse imagery on a referral (docs/media.md).

A match against a child-abuse hash list prepares it (workers: the system actor `SYSTEM_ACTOR`):
the desk's reference, when it was prepared, and per matched image its PDQ and SHA-256 hashes,
the list, who gave the list and the list's own reference. Never the image. Nothing is sent
automatically: the safeguarding lead sends it to a hotline (the settings' list), then marks it
sent with the hotline's reference (a POST, audited). The CSV export is what the lead hands the
hotline: the hashes and references only.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from c2c_safety.core.csv_export import to_csv
from c2c_safety.safeguarding import evidence
from c2c_safety.safeguarding.actions import SafeguardingError, require_lead
from models import User, utcnow
from models.media import HotlineRecord
from models.review import SafeguardingAction, SafeguardingReferral

# How the audit log names what the desk does by itself on a hash match (no person acted).
SYSTEM_ACTOR = "system:hash-match"
MAX_REFERENCE = 120
HOLD_REASON = "An image matched a child sexual abuse hash list: evidence preserved automatically by the desk."
CSV_FIELDS = ("desk_reference", "prepared_at_utc", "image", "pdq", "sha256", "list", "list_source",
              "list_reference", "distance_bits", "matched_at_utc")


def for_referral(session: Session, referral_id: int) -> HotlineRecord | None:
    return session.scalars(select(HotlineRecord).where(HotlineRecord.referral_id == referral_id)).first()


def _new_reference(session: Session) -> str:
    while True:
        ref = f"HR-{secrets.token_hex(4).upper()}"
        if session.scalar(select(HotlineRecord.id).where(HotlineRecord.reference == ref)) is None:
            return ref


def entry(*, image: str, pdq: bytes | None, sha256: str | None, list_name: str, source: str,
          list_reference: str, distance: int, at: datetime) -> dict[str, object]:
    return {"image": image, "pdq": pdq.hex() if pdq else "", "sha256": sha256 or "", "list": list_name,
            "source": source, "list_reference": list_reference, "distance": distance, "at": at.isoformat()}


def prepare(session: Session, ref: SafeguardingReferral, new: dict[str, object]) -> HotlineRecord:
    """Create the referral's record or add one matched image to it (idempotent per image).
    Audited as the system; the entry's hashes are never written to the audit log."""
    record = for_referral(session, ref.id)
    created = record is None
    if record is None:
        record = HotlineRecord(referral_id=ref.id, reference=_new_reference(session), prepared_at=utcnow(),
                               entries=[])
        session.add(record)
    if any(e.get("image") == new["image"] for e in record.entries):
        return record
    record.entries = [*record.entries, new]  # a new list: JSON columns track assignment, not mutation
    session.flush()
    audit.record(session, "safeguarding.hotline_record_prepared", actor_label=SYSTEM_ACTOR,
                 target_type="safeguarding_referral", target_id=ref.id,
                 details={"record_id": record.id, "images": len(record.entries), "new_record": created})
    return record


def known_image_matched(session: Session, ref: SafeguardingReferral, new: dict[str, object]) -> HotlineRecord:
    """What a child-abuse list match does on the referral, in the worker's transaction: the
    evidence is preserved (a legal hold, as the system) and the hotline record prepared."""
    evidence.place_automatic(session, ref, why=HOLD_REASON, actor_label=SYSTEM_ACTOR)
    return prepare(session, ref, new)


def mark_sent(session: Session, ref: SafeguardingReferral, *, actor: User, hotline: str, reference: str,
              hotlines: list[str]) -> HotlineRecord:
    """The lead sent the record to a hotline: which one and the hotline's own reference."""
    require_lead(actor)
    record = for_referral(session, ref.id)
    if record is None:
        raise SafeguardingError(_("There is no hotline report record on this referral."))
    if record.sent_at is not None:
        raise SafeguardingError(_("This hotline report record is already marked as sent."))
    hotline, reference = hotline.strip(), " ".join(reference.split())
    if hotline not in hotlines:
        raise SafeguardingError(_("Choose the hotline you sent it to."))
    if not reference or len(reference) > MAX_REFERENCE:
        raise SafeguardingError(_("Give the hotline's reference (at most %(n)s characters).", n=MAX_REFERENCE))
    now = utcnow()
    record.hotline, record.hotline_reference, record.sent_at, record.sent_by_id = hotline, reference, now, actor.id
    # The referral's own actions list it as a hotline report, as if recorded by hand.
    session.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=ref.child_pseudonym, kind="hotline_report",
                                   detail_sealed=seal_text(f"Hotline report record {record.reference}"),
                                   authority=hotline, authority_ref_sealed=seal_text(reference), actor_id=actor.id,
                                   at=now))
    session.flush()
    audit.record(session, "safeguarding.hotline_record_sent", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"record_id": record.id, "hotline": hotline,
                                            "images": len(record.entries)})
    return record


def export_csv(record: HotlineRecord) -> str:
    """One row per matched image: hashes and references only, never the image."""
    rows = [{"desk_reference": record.reference, "prepared_at_utc": record.prepared_at.strftime("%Y-%m-%d %H:%M:%S"),
             "image": e.get("image", ""), "pdq": e.get("pdq", ""), "sha256": e.get("sha256", ""),
             "list": e.get("list", ""), "list_source": e.get("source", ""),
             "list_reference": e.get("list_reference", ""), "distance_bits": e.get("distance", ""),
             "matched_at_utc": str(e.get("at", ""))[:19].replace("T", " ")} for e in record.entries]
    return to_csv(rows, CSV_FIELDS)
