"""Demo case files (synthetic text only): every category and state, a case about the CEO,
one under a legal hold, one closed six years ago that the next sweep will anonymise.

Idempotent: cases are found by their fixed DEMO- references. Anonymous demo cases answer
to receipts 9000-0000-0000-00NN (NN = the number in the reference).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import users as accounts
from c2c_safety.audit import log as audit
from c2c_safety.cases import routing
from c2c_safety.core.crypto import seal_text
from c2c_safety.report import reports
from c2c_safety.retention import sweep as retention
from models import (
    CaseCategory,
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseSource,
    CaseStatus,
    CaseTransition,
    LegalHold,
    utcnow,
)

C = CaseCategory
S = CaseStatus
# (number, category, status, days since received, anonymous?, extra)
PLAN: tuple[tuple[int, str, str, int, bool, str], ...] = (
    (1, C.SAFEGUARDING_MINOR, S.ACKNOWLEDGED, 2, True, ""),
    (2, C.SAFEGUARDING_MINOR, S.INVESTIGATING, 40, True, ""),
    (3, C.ETHICAL, S.RECEIVED, 6, False, ""),
    (4, C.ETHICAL, S.RECEIVED, 12, False, ""),  # acknowledgment overdue
    (5, C.ETHICAL, S.FEEDBACK_GIVEN, 70, True, ""),
    (6, C.OTHER, S.INVESTIGATING, 88, True, ""),  # feedback due in a few days
    (7, C.OTHER, S.CLOSED, 200, True, ""),
    (8, C.TEAM_MEMBER, S.INVESTIGATING, 20, True, ""),
    (9, C.CEO, S.ACKNOWLEDGED, 5, True, ""),  # routed to the independent reviewer only
    (10, C.ETHICAL, S.CLOSED, 6 * 365 + 60, True, "hold"),  # retention due, but held
    (11, C.OTHER, S.CLOSED, 6 * 365 + 30, True, ""),  # closed ~6 years ago: next sweep anonymises
    (12, C.TEAM_MEMBER, S.CLOSED, 400, False, ""),
)
BODIES: dict[str, str] = {
    C.SAFEGUARDING_MINOR: "Synthetic demo: a pupil in a partner class describes being asked for photos "
                          "by an older user in a one-to-one chat.",
    C.ETHICAL: "Synthetic demo: a teacher account is said to reuse other schools' project material "
               "without credit and to pressure pupils to rate it highly.",
    C.TEAM_MEMBER: "Synthetic demo: a Class2Class support person is said to have shared a school's "
                   "contact list outside the platform.",
    C.CEO: "Synthetic demo: a concern that the CEO overruled a moderation decision about a partner school.",
    C.OTHER: "Synthetic demo: repeated broken translations in a shared project are upsetting a class.",
}


def _receipt(n: int) -> str:
    return f"9000-0000-0000-{n:04d}"


def seed_demo_cases(session: Session) -> None:
    retention.ensure_policies(session)
    handler = accounts.get_by_email(session, "handler@demo.c2c")
    now = utcnow()
    for n, category, status, age, anonymous, extra in PLAN:
        ref = f"DEMO-{n:02d}"
        if session.scalar(select(CaseFile.id).where(CaseFile.reference == ref)) is not None:
            continue
        received = now - timedelta(days=age)
        digits = reports.normalise_receipt(_receipt(n)) or ""
        case = CaseFile(
            reference=ref, category=category, routed_role=routing.route_case(category), status=status,
            source=CaseSource.ANONYMOUS_REPORT if anonymous else CaseSource.ESCALATION,
            received_at=received, body_sealed=seal_text(BODIES[category]),
            occurred_sealed=seal_text("Synthetic: during the spring exchange project."),
            receipt_lookup=reports.receipt_lookup(digits) if anonymous else None,
            receipt_hash=reports.hash_receipt(digits) if anonymous else None,
            score_status="pending",
        )
        session.add(case)
        session.flush()
        audit.record(session, "case.received", actor_label="demo seed", target_type="case", target_id=case.id,
                     case_id=case.id, details={"category": category}, at=received)
        _advance(session, case, status, received, handler.id if handler else None)
        if anonymous:
            session.add(CaseMessage(case_id=case.id, from_reporter=True, created_at=received + timedelta(hours=2),
                                    body_sealed=seal_text("Synthetic: I can add more detail if you need it.")))
        if extra == "hold":
            session.add(LegalHold(case_id=case.id, reason_sealed=seal_text("Synthetic: pending court case."),
                                  placed_by_id=handler.id if handler else None,
                                  placed_at=received + timedelta(days=100)))
            case.legal_hold = True
            audit.record(session, "case.legal_hold_placed", actor_label="demo seed", target_type="case",
                         target_id=case.id, case_id=case.id)
        session.flush()


def _advance(session: Session, case: CaseFile, status: str, received: datetime, actor_id: int | None) -> None:
    order: list[str] = [S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING, S.FEEDBACK_GIVEN, S.CLOSED]
    at = received
    ack_after = timedelta(0) if case.source == CaseSource.ANONYMOUS_REPORT else timedelta(days=2)
    steps: dict[str, timedelta] = {S.ACKNOWLEDGED: ack_after, S.INVESTIGATING: timedelta(days=3),
                                   S.FEEDBACK_GIVEN: timedelta(days=30), S.CLOSED: timedelta(days=20)}
    for prev, nxt in itertools.pairwise(order):
        if order.index(nxt) > order.index(status):
            break
        at = at + steps[nxt]
        session.add(CaseTransition(case_id=case.id, from_status=prev, to_status=nxt, actor_id=actor_id, at=at,
                                   outcome="partly_substantiated" if nxt == S.CLOSED else None))
        if nxt == S.ACKNOWLEDGED:
            case.acknowledged_at = at
        elif nxt == S.FEEDBACK_GIVEN:
            case.feedback_at = at
            if case.receipt_lookup:
                session.add(CaseMessage(case_id=case.id, from_reporter=False, author_id=actor_id, created_at=at,
                                        body_sealed=seal_text("Synthetic feedback: we have spoken to the school.")))
        elif nxt == S.CLOSED:
            case.closed_at = case.retention_clock_from = at
            case.outcome = "partly_substantiated"
            case.closed_approved_by_id = actor_id
            case.closed_alone = True  # the demo has one case handler (cases/closing.py)
            case.findings_sealed = seal_text("Synthetic findings: the school's log confirms part of the account; "
                                             "the rest could not be established.")
    if status in (S.INVESTIGATING, S.FEEDBACK_GIVEN) and actor_id:
        case.assigned_to_id = actor_id if case.routed_role == "case_handler" else None
        session.add(CaseNote(case_id=case.id, author_id=actor_id, created_at=at,
                             body_sealed=seal_text("Synthetic note: asked the school for its log.")))
