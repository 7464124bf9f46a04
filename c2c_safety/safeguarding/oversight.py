"""Who reads the safeguarding desk without working it (issue 19, item 10).

The independent reviewer reads every referral, the desk and every chronology, read-only; so
does the CEO, to whom an overdue referral is escalated (escalation.py) and who must be able
to see what waits. Neither can change anything: every POST of the desk admits only the
safeguarding lead (403 for them), and the pages show them no forms. Every view is audited,
the desk list included (`view.safeguarding_desk`), like the lead's views of a referral or a
chronology.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import Role, User

LEAD = Role.SAFEGUARDING_LEAD.value
READERS: tuple[str, ...] = (Role.INDEPENDENT_REVIEWER.value, Role.CEO.value)


def read_only(user: User) -> bool:
    """A reader who is not also a safeguarding lead sees the desk without its forms."""
    return not user.has_role(LEAD)


def record_desk_view(session: Session, *, actor: User, state: str, rows: int) -> None:
    audit.record(session, "view.safeguarding_desk", actor=actor, target_type="safeguarding_desk",
                 target_id=state, details={"rows": rows, "read_only": read_only(actor)})
