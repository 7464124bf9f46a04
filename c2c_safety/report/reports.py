"""Anonymous reports: a case file per report, a receipt to come back with, follow-up.

Receipt: seven words of the reporter's language (56 bits; report/codes.py; old receipts:
16 digits, about 53 bits). Stored only as
- `receipt_lookup`: HMAC-SHA256 of the canonical code under a key derived from the secret key,
  truncated to 128 bits, so a follow-up finds its case with one indexed query; and
- `receipt_hash`: scrypt (N=2^14, r=8, p=1) with a per-case salt, checked after the lookup.
Someone holding a database copy without the secret key can neither find nor test receipts.

Guessing receipts is infeasible by their entropy, not by a lock: a wrong code costs one
HMAC and one indexed query, and nobody is ever locked out because someone else guessed
(see "Follow-up guessing" below and docs/security.md for the arithmetic).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import assignment, attachments, deadlines, routing
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis
from c2c_safety.core.uploads import CleanFile
from c2c_safety.notifications import triggers as notify_triggers
from c2c_safety.report import codes, downloads
from c2c_safety.safeguarding import concerns
from models import CaseCategory, CaseFile, CaseMessage, CaseRegime, CaseSource, CaseStatus, utcnow
from models.cases import CHILD_CATEGORIES, MeetingRequest, ReporterAbout, ReporterAgeBand

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U
MAX_BODY, MAX_WHEN, MAX_WHO, MAX_CONTACT = 20_000, 200, 2_000, 500
# The form asks a child's questions first (issue 21.3): the child-first categories, then
# the whistleblowing categories for adults.
CHILD_FIRST = (CaseCategory.CHILD_MEAN.value, CaseCategory.CHILD_SEXUAL.value, CaseCategory.CHILD_FRIEND.value,
               CaseCategory.CHILD_ADULT.value)
FOR_ADULTS = tuple(c.value for c in CaseCategory if c.value not in CHILD_FIRST)
CATEGORIES = CHILD_FIRST + FOR_ADULTS
ABOUT = tuple(a.value for a in ReporterAbout)
AGE_BANDS = tuple(a.value for a in ReporterAgeBand)
MEETINGS = tuple(m.value for m in MeetingRequest)



# A whistleblower's request for a meeting or an oral report is answered with a time within
# this many days (the Act says "within a reasonable time"; this is the desk's own target).
MEETING_WITHIN_DAYS = 14


def meeting_due(requested_at: datetime | None) -> datetime | None:
    """By when the handler offers the meeting or call a reporter asked for."""
    return requested_at + timedelta(days=MEETING_WITHIN_DAYS) if requested_at else None


class ReportError(ValueError):
    pass


@dataclass(frozen=True)
class ReportInput:
    category: str
    what: str
    when: str = ""
    who: str = ""
    contact: str = ""
    language: str = "en"
    about: str = ""
    age_band: str = ""
    meeting: str = ""  # ignored for a child's concern: a referral, not a Whistleblower Act case


@dataclass(frozen=True)
class Submitted:
    case: CaseFile
    receipt: str  # in clear: show it once, never store or log it


# -- receipts -------------------------------------------------------------------------------

def new_receipt(lang: str = "en") -> str:
    """A new receipt in canonical form (seven words; report/codes.py)."""
    return codes.new_code(lang)


def normalise_receipt(raw: str) -> str | None:
    """The canonical code typed (words in any case and spacing, or an old 16-digit code); None
    if it is not a code at all."""
    return codes.normalise(raw)


def _lookup_key() -> bytes:
    return hashlib.sha256(b"c2c-receipt-lookup\x00" + current_app.config["SECRET_KEY"].encode()).digest()


def receipt_lookup(digits: str) -> str:
    return hmac.new(_lookup_key(), digits.encode(), hashlib.sha256).hexdigest()[:32]


def _scrypt(digits: str, salt: bytes) -> bytes:
    return hashlib.scrypt(digits.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def hash_receipt(digits: str) -> str:
    salt = secrets.token_bytes(16)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(_scrypt(digits, salt)).decode()}"


def verify_receipt(digits: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt_b64, hash_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        got = hashlib.scrypt(digits.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(got, expected)


def find_case(session: Session, raw_receipt: str) -> CaseFile | None:
    """The case a receipt belongs to, or None.

    The cheap keyed lookup comes first and decides: only a receipt that exists goes on to
    the slow scrypt check. A wrong code therefore costs the desk almost nothing, so a flood
    of them cannot starve the CPU and need not be throttled for everyone. (Answering a miss
    faster than a hit tells a guesser nothing the answer itself does not.)"""
    digits = normalise_receipt(raw_receipt)
    if digits is None:
        return None
    case = session.scalars(select(CaseFile).where(CaseFile.receipt_lookup == receipt_lookup(digits))).first()
    if case is None or case.receipt_hash is None:
        return None
    return case if verify_receipt(digits, case.receipt_hash) else None


# -- submission -----------------------------------------------------------------------------

def _new_reference(session: Session) -> str:
    while True:
        chars = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
        ref = f"AR-{chars[:4]}-{chars[4:]}"
        if session.scalar(select(CaseFile.id).where(CaseFile.reference == ref)) is None:
            return ref


def _tag_free(session: Session, tag: str) -> bool:
    return session.scalar(select(CaseFile.id).where(CaseFile.receipt_lookup == tag)) is None


def _fresh_receipt(session: Session, lang: str, chosen: str | None) -> tuple[str, str]:
    """The receipt chosen when the form was given out (so a reload can show it again), unless
    by a 2^-56 chance it is taken; then a fresh one."""
    receipt = normalise_receipt(chosen or "")
    while True:
        if receipt is not None:
            tag = receipt_lookup(receipt)
            if _tag_free(session, tag):
                return receipt, tag
        receipt = new_receipt(lang)


def _optional(text: str) -> bytes | None:
    text = text.strip()
    return seal_text(text) if text else None


def submit_report(session: Session, data: ReportInput, files: list[CleanFile], *,
                  receipt: str | None = None, now: datetime | None = None) -> Submitted:
    """Create the case (acknowledged at once), store attachments, audit. The caller commits,
    then enqueues `workers.scoring.score_cases`. `receipt`: the code sealed into the form's
    token when the form was given out (or the demo seeder's); `Submitted.receipt` is the
    one actually used, in canonical form."""
    if data.category not in CATEGORIES:
        raise ReportError("unknown category")
    if not data.what.strip() or len(data.what) > MAX_BODY:
        raise ReportError("what happened is required and at most 20,000 characters")
    now = now or utcnow()
    digits, tag = _fresh_receipt(session, data.language, receipt)
    case = CaseFile(
        reference=_new_reference(session), source=CaseSource.ANONYMOUS_REPORT, category=data.category,
        routed_role=routing.route_case(data.category),
        # The Directive's acknowledgment: the reporter sees it on the receipt page at once.
        status=CaseStatus.ACKNOWLEDGED, received_at=now, acknowledged_at=now,
        language=data.language[:8], body_sealed=seal_text(data.what.strip()),
        occurred_sealed=_optional(data.when), involved_sealed=_optional(data.who),
        contact_sealed=_optional(data.contact), receipt_lookup=tag, receipt_hash=hash_receipt(digits),
        score_status="pending", reporter_about=data.about if data.about in ABOUT else None,
        reporter_age_band=data.age_band if data.age_band in AGE_BANDS else None,
    )
    if data.meeting in MEETINGS and data.category not in CHILD_CATEGORIES:
        case.meeting_request, case.meeting_requested_at = data.meeting, now
    session.add(case)
    session.flush()
    for f in files:
        attachments.store(session, case, f, from_reporter=True)
    audit.record(session, "case.received", actor_label="anonymous reporter", target_type="case",
                 target_id=case.id, case_id=case.id, details={"category": data.category})
    if data.category in CHILD_CATEGORIES:
        # About a child: a safeguarding referral from the start, with the desk's one clock
        # (never a Whistleblower Act case); it names its lead and alerts every lead itself.
        concerns.open_for_report(session, case, now)
    else:
        assignment.assign_new_case(session, case)  # round robin in the routed role (issue 13)
        notify_triggers.new_case(session, case, now)  # whoever it is routed to; no content in the notice
    log.info("anonymous report received as case %s (%s attachments)", case.id, len(files))
    return Submitted(case, digits)


# -- follow-up ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageView:
    from_reporter: bool
    at: datetime
    text: str
    attachments: int
    files: tuple[downloads.FileView, ...] = ()  # what the desk sent with its message


@dataclass(frozen=True)
class StatusView:
    category: str
    child: bool  # a child's concern: the safeguarding promise, never the Directive's 3 months
    read: bool  # a person at the desk has opened it
    reference: str
    status: str
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledge_by: datetime
    feedback_by: datetime
    feedback_at: datetime | None
    closed: bool
    messages: list[MessageView]
    # A report about a child is a safeguarding referral: no Whistleblower Act dates to promise.
    safeguarding: bool = False


def can_reply(case: CaseFile) -> bool:
    return case.status != CaseStatus.CLOSED and case.anonymised_at is None


def status_view(case: CaseFile) -> StatusView:
    # A reopened case shows the reporter its fresh feedback deadline (cases.deadlines).
    cycle = deadlines.current_cycle(case.received_at, case.acknowledged_at, case.feedback_at,
                                    case.reopened_at, case.reopen_feedback_at)
    due = cycle.deadlines
    per_message: dict[int, int] = {}
    for att in case.attachments:
        if att.message_id is not None:
            per_message[att.message_id] = per_message.get(att.message_id, 0) + 1
    ours = downloads.sent_to_reporter(case)
    messages = [
        MessageView(m.from_reporter, m.created_at, open_text(m.body_sealed) or "", per_message.get(m.id, 0),
                    tuple(ours.get(m.id, ())))
        for m in case.messages
    ]
    return StatusView(
        category=case.category, child=case.category in CHILD_CATEGORIES, read=case.first_read_at is not None,
        reference=case.reference, status=case.status, received_at=case.received_at,
        acknowledged_at=case.acknowledged_at, acknowledge_by=due.acknowledge_by,
        feedback_by=due.feedback_by, feedback_at=cycle.feedback_at, closed=not can_reply(case),
        messages=messages, safeguarding=case.regime == CaseRegime.SAFEGUARDING,
    )


def add_reporter_message(session: Session, case: CaseFile, text: str, files: list[CleanFile]) -> CaseMessage:
    if not can_reply(case):
        raise ReportError("this case no longer takes messages")
    text = text.strip()
    if not text and not files:
        raise ReportError("write a message or attach a file")
    if len(text) > MAX_BODY:
        raise ReportError("a message is at most 20,000 characters")
    msg = CaseMessage(case_id=case.id, from_reporter=True, body_sealed=seal_text(text))
    session.add(msg)
    session.flush()
    for f in files:
        attachments.store(session, case, f, message_id=msg.id, from_reporter=True)
    audit.record(session, "case.reporter_message", actor_label="anonymous reporter", target_type="case",
                 target_id=case.id, case_id=case.id,
                 details={"message_id": msg.id, "attachments": len(files)})
    session.expire(case, ["messages", "attachments"])  # the status page shows the new message
    return msg


def attach_reporter_files(session: Session, case: CaseFile, files: list[CleanFile], *,
                          message: CaseMessage | None = None) -> None:
    """Files checked after the report or message itself was committed (the reporter's words
    are saved before any file is opened, so a hostile or slow file can only cost itself)."""
    if not files:
        return
    for f in files:
        attachments.store(session, case, f, message_id=message.id if message else None, from_reporter=True)
    audit.record(session, "case.reporter_files", actor_label="anonymous reporter", target_type="case",
                 target_id=case.id, case_id=case.id,
                 details={"message_id": message.id if message else None, "attachments": len(files)})
    session.expire(case, ["messages", "attachments"])


# -- follow-up guessing ---------------------------------------------------------------------
# There is no lock-out: the last one let about 30 wrong codes from one client shut the
# follow-up page for every reporter for ten minutes. Without any client identity, a page
# that always answers a right receipt tells a guesser on every request that a wrong one was
# wrong, whatever budget or per-form-token limit sits in front of it (a refusal reveals the
# miss as well as "wrong code" does). So no limit can slow guessing below the rate the desk
# answers requests at all, and it is the receipt's 10^16 codes that make guessing hopeless:
# docs/security.md has the arithmetic. What the desk does is keep a miss cheap (above), and
# count misses per minute for the whole channel so a flood is logged (no address, no code)
# and operators can act at the proxy.

FLOOD_PER_MINUTE = 600  # above this many wrong codes in a minute, log a warning once


def record_miss() -> int:
    """Count a wrong code in the channel's per-minute tally; the count so far (0: unknown)."""
    key = f"c2c:followup:misses-per-minute:{int(time.time() // 60)}"
    try:
        pipe = get_redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, 180)
        count = int(pipe.execute()[0])
    except (RedisError, OSError, EmbeddedRedisError):
        return 0
    flood = int(current_app.config.get("C2C_FOLLOWUP_FLOOD_PER_MINUTE", FLOOD_PER_MINUTE))
    if count == flood + 1:
        log.warning("follow-up page: more than %s wrong receipt codes this minute (no client is "
                    "identified; see docs/security.md, receipt codes)", flood)
    return count
