"""Demo anonymous reports with published receipts (demo and tests only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.core.crypto import seal_text
from c2c_safety.report.reports import ReportInput, find_case, submit_report
from models import CaseMessage

DEMO_RECEIPTS = {"safeguarding_minor": "1111-2222-3333-4444", "ethical": "5555-6666-7777-8888",
                 # A child's own report with a word code (issue 21): the child receipt and status page.
                 "child_sexual": "apple boat cat drum egg fox goat"}


def seed_demo_reports(session: Session) -> None:
    """Demo seeder: one safeguarding and one ethical report with published receipts."""
    texts = {
        "safeguarding_minor": ("An adult in the 'Ocean plastics' project keeps asking a 12-year-old in our "
                               "class to chat privately and to send photos.", "Last week, several times"),
        "ethical": ("A teacher account copies other schools' project work and presents it as its own "
                    "class's work.", "Since the start of term"),
        "child_sexual": ("Someone in a project chat sent me pictures and wants photos of me. He says he will "
                         "show everyone if I don't.", "Yesterday"),
    }
    # The whistleblower asks to tell it at a meeting (the case page shows the request).
    extra = {"ethical": {"meeting": "meeting"}, "child_sexual": {"about": "me", "age_band": "13_15"}}
    for category, receipt in DEMO_RECEIPTS.items():
        if find_case(session, receipt) is not None:
            continue
        what, when = texts[category]
        made = submit_report(session, ReportInput(category=category, what=what, when=when, **extra.get(category, {})),
                             [], receipt=receipt)
        if category == "safeguarding_minor":
            session.add(CaseMessage(case_id=made.case.id, from_reporter=False, body_sealed=seal_text(
                "Thank you for telling us. We are looking into it today. Can you tell us the name the "
                "adult uses on the platform?")))


def demo_note() -> str:
    lines = ["Demo anonymous reports (follow them at /report/follow-up with these receipts):"]
    lines += [f"  {category:<20} {receipt}" for category, receipt in DEMO_RECEIPTS.items()]
    return "\n".join(lines)
