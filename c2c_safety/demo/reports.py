"""Demo anonymous reports with published receipts (demo and tests only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.core.crypto import seal_text
from c2c_safety.report.reports import ReportInput, find_case, submit_report
from models import CaseMessage

DEMO_RECEIPTS = {"safeguarding_minor": "1111-2222-3333-4444", "ethical": "5555-6666-7777-8888"}


def seed_demo_reports(session: Session) -> None:
    """Demo seeder: one safeguarding and one ethical report with published receipts."""
    texts = {
        "safeguarding_minor": ("An adult in the 'Ocean plastics' project keeps asking a 12-year-old in our "
                               "class to chat privately and to send photos.", "Last week, several times"),
        "ethical": ("A teacher account copies other schools' project work and presents it as its own "
                    "class's work.", "Since the start of term"),
    }
    for category, receipt in DEMO_RECEIPTS.items():
        if find_case(session, receipt) is not None:
            continue
        what, when = texts[category]
        made = submit_report(session, ReportInput(category=category, what=what, when=when), [], receipt=receipt)
        if category == "safeguarding_minor":
            session.add(CaseMessage(case_id=made.case.id, from_reporter=False, body_sealed=seal_text(
                "Thank you for telling us. We are looking into it today. Can you tell us the name the "
                "adult uses on the platform?")))


def demo_note() -> str:
    lines = ["Demo anonymous reports (follow them at /report/follow-up with these receipts):"]
    lines += [f"  {category:<20} {receipt}" for category, receipt in DEMO_RECEIPTS.items()]
    return "\n".join(lines)
