"""Demo accounts and data for `make demo`. Never runs outside C2C_ENV=demo/test.

Each feature contributes a seeder (a function taking the session); SEEDERS runs them in
order. Seeders must be idempotent: `make demo` runs them on every start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from c2c_safety.accounts import totp
from c2c_safety.accounts import users as accounts
from c2c_safety.demo import accounts as accounts_demo
from c2c_safety.demo import api as demo_api
from c2c_safety.demo import cases as case_demo
from c2c_safety.demo import reports as demo_reports
from c2c_safety.demo import review as review_demo
from c2c_safety.demo import safeguarding as safeguarding_demo
from c2c_safety.demo import safeguarding_record as safeguarding_record_demo
from models import Role

DEMO_PASSWORD = "demo-password-123"
# Fixed so a newcomer can add it to an authenticator app. accounts.totp refuses it as a factor
# unless C2C_ENV is demo or test, so a demo database put into production cannot be signed into.
DEMO_TOTP_SECRET = totp.DEMO_TOTP_SECRET


@dataclass(frozen=True)
class DemoAccount:
    email: str
    roles: tuple[str, ...]
    name: str


DEMO_ACCOUNTS = (
    DemoAccount("moderator@demo.c2c", (Role.MODERATOR,), "Mona Moderator"),
    DemoAccount("moderator2@demo.c2c", (Role.MODERATOR,), "Mads Moderator"),
    DemoAccount("lead@demo.c2c", (Role.SAFEGUARDING_LEAD,), "Sara Safeguarding"),
    DemoAccount("handler@demo.c2c", (Role.CASE_HANDLER,), "Hans Handler"),
    DemoAccount("ceo@demo.c2c", (Role.CEO,), "Cecilie CEO"),
    DemoAccount("reviewer@demo.c2c", (Role.INDEPENDENT_REVIEWER,), "Ines Independent"),
    DemoAccount("admin@demo.c2c", (Role.ADMIN,), "Adam Admin"),
)


def seed_staff(session: Session) -> None:
    # Every role signs in with two-factor; the demo accounts share the published key.
    for acct in DEMO_ACCOUNTS:
        user = accounts.get_by_email(session, acct.email)
        if user is None:
            user = accounts.create_user(session, acct.email, DEMO_PASSWORD, list(acct.roles),
                                        display_name=acct.name)
        if user.totp_secret is None:  # also demo databases seeded before everyone needed it
            user.totp_secret = totp.seal(DEMO_TOTP_SECRET)


SEEDERS: list[Callable[[Session], None]] = [seed_staff]
SEEDERS += [demo_api.seed_demo_client, demo_reports.seed_demo_reports]  # intake (#3)
SEEDERS += [case_demo.seed_demo_cases]  # cases, retention, review (#6)
SEEDERS += [review_demo.seed_review_desk]  # review desk (#5)
SEEDERS += [safeguarding_demo.seed_safeguarding_demo]  # referrals with people, a sample week (#13)
SEEDERS += [safeguarding_record_demo.seed_one_record]  # reports about a child as referrals (#19)
SEEDERS += [accounts_demo.seed_accounts_demo]  # an invitation, an access review in progress (#20)


def seed_all(session: Session) -> None:
    for seeder in SEEDERS:
        seeder(session)
        session.commit()
