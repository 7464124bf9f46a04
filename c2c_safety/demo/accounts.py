"""Demo states of the accounts pages (issue 20 item 6): a colleague invited but not yet signed
in, and a quarterly access review in progress with one account flagged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import access_review, invitations
from c2c_safety.accounts import users as accounts
from models import AccessReview, User

NEWCOMER = "newcomer@demo.c2c"


def seed_accounts_demo(session: Session) -> None:
    admin = accounts.get_by_email(session, "admin@demo.c2c")
    reviewer = accounts.get_by_email(session, "reviewer@demo.c2c")
    if admin is None or reviewer is None:
        return
    if accounts.get_by_email(session, NEWCOMER) is None:
        newcomer = accounts.create_user(session, NEWCOMER, invitations.unusable_password(), ["moderator"],
                                        display_name="Nora Newcomer", actor=admin)
        invitations.issue(session, newcomer, actor=admin)  # the link itself is not kept anywhere
    if session.scalar(select(AccessReview.id)) is None:
        review = access_review.start(session, actor=reviewer)
        for email, verdict, note in (("moderator@demo.c2c", "confirmed", ""),
                                     ("moderator2@demo.c2c", "flagged",
                                      "Has not moderated since the summer: remove the role?")):
            person = session.scalars(select(User).where(User.email == email)).first()
            if person is not None:
                access_review.mark(session, review.id, person.id, verdict, note, actor=reviewer)
