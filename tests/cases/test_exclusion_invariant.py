"""Exclusions cannot bury a case (issue 10, item 4), as a property over random histories.

Hypothesis draws a staff (one or two of some roles), a case of every category, and a
sequence of what people may try: exclusions, recusals, lifting exclusions, role changes
(with the second person's confirmation for privileged roles) and disabling or enabling
accounts, each by a random actor through the real service functions. Whatever was refused
is rolled back. After every step:

- every open case can be handled by at least one active person (checked with `can_handle`,
  the rule the pages use, not with the SQL the service itself uses);
- no attempt to exclude an independent reviewer from a case about the CEO succeeds (a
  reviewer may still recuse while another reviewer can take the case);
- the deadline alerts of every overdue case reach at least one person who may see it.

Oversight cannot be removed or blinded (issue 20, item 2): the histories also draw role
removals and disablings of reviewers, reviewer exclusions with their second person's
confirmation or rejection, and the incoming reviewer's acceptance. After every step:

- there is at least one active independent reviewer (without the CEO role);
- every open case is readable by one, unless every such reviewer is excluded from it by an
  exclusion a second person confirmed, that they chose (recusal) or that predates their
  reviewer role — and each excluded reviewer is shown a stub for each such case;
- an exclusion aimed at someone who is a reviewer never takes effect in the step itself
  (it waits for the second person).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import grants
from c2c_safety.accounts import users as accounts
from c2c_safety.accounts.users import AccountError
from c2c_safety.cases import access as case_access
from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases import reviewer_oversight, routing
from c2c_safety.cases.access import CaseNotFoundError, ExclusionError
from c2c_safety.core.db import new_session
from models import (
    CaseAlert,
    CaseCategory,
    CaseExclusion,
    CaseFile,
    CaseStatus,
    ExclusionKind,
    ExclusionRequest,
    RoleGrant,
    User,
    utcnow,
)
from tests.conftest import _wipe

# Exhaustive: runs in `make test` on both databases, not in the quick `make check`.
pytestmark = pytest.mark.crawl

ROLES = ["moderator", "safeguarding_lead", "case_handler", "ceo", "independent_reviewer", "admin"]
REFUSED = (PermissionError, ExclusionError, AccountError, LookupError, CaseNotFoundError)

staff_plan = st.fixed_dictionaries({
    "case_handler": st.integers(1, 2), "safeguarding_lead": st.integers(1, 2), "ceo": st.just(1),
    "independent_reviewer": st.integers(1, 2), "admin": st.just(2), "moderator": st.just(1),
})
op = st.one_of(
    st.tuples(st.just("exclude"), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("recuse"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("lift"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("roles"), st.integers(0, 20), st.integers(0, 20), st.sets(st.sampled_from(ROLES), max_size=2)),
    st.tuples(st.just("confirm"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("active"), st.integers(0, 20), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("decide_exclusion"), st.integers(0, 20), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("accept"), st.integers(0, 20), st.integers(0, 20)),
    # Aimed at oversight: remove the reviewer role or disable a reviewer, exclude a reviewer.
    st.tuples(st.just("drop_reviewer"), st.integers(0, 20), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("exclude_reviewer"), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
)
REVIEWER = "independent_reviewer"


def _build(s: Session, plan: dict[str, int]) -> tuple[list[int], list[int]]:
    people = []
    for role, count in plan.items():
        for n in range(count):
            people.append(accounts.create_user(s, f"{role}{n}@prop.test", "prop-password-123", [role]).id)
    cases = []
    old = utcnow() - timedelta(days=30)  # acknowledgment overdue: alerts are due
    for i, category in enumerate(CaseCategory):
        case = CaseFile(reference=f"P-{i}", category=category, routed_role=routing.route_case(category),
                        status=CaseStatus.RECEIVED, received_at=old, language="en")
        s.add(case)
        s.flush()
        cases.append(case.id)
    s.commit()
    return people, cases


def _reviewers(s: Session) -> list[User]:
    return [u for u in s.scalars(select(User).order_by(User.id)).all() if u.has_role(REVIEWER)]


def _exclude(s: Session, case: CaseFile, person: User, actor: User) -> None:
    reviewer_on_ceo_case = case.category == CaseCategory.CEO and person.has_role(REVIEWER)
    was_reviewer = person.has_role(REVIEWER)
    case_access.exclude(s, case, person, actor=actor, reason="The case is about them.")
    assert not reviewer_on_ceo_case, "the independent reviewer was excluded from a case about the CEO"
    s.flush()
    assert not (was_reviewer and case_access.is_excluded(s, person.id, case.id)), (
        "an independent reviewer was excluded from a case by one person")


def _run(s: Session, step: tuple, people: list[int], cases: list[int]) -> None:  # type: ignore[type-arg]
    kind, who, *rest = step
    actor = s.get(User, people[who % len(people)])
    assert actor is not None
    if kind == "exclude":
        case, person = s.get(CaseFile, cases[rest[0] % len(cases)]), s.get(User, people[rest[1] % len(people)])
        assert case is not None and person is not None
        _exclude(s, case, person, actor)
    elif kind == "exclude_reviewer":
        # By someone who can open the case (a random actor rarely can), as a handler would.
        reviewers = _reviewers(s)
        case = s.get(CaseFile, cases[rest[0] % len(cases)])
        if reviewers and case is not None:
            target = reviewers[rest[1] % len(reviewers)]
            able = [u for u in s.scalars(select(User).order_by(User.id)).all()
                    if u.id != target.id and case_access.can_view(s, u, case)]
            if able:
                _exclude(s, case, target, able[who % len(able)])
    elif kind == "drop_reviewer":
        reviewers = _reviewers(s)
        if reviewers:
            target = reviewers[rest[0] % len(reviewers)]
            if rest[1]:
                grants.set_active(s, target, False, actor=actor)
            else:
                grants.change_roles(s, target, sorted(target.role_names - {REVIEWER}), actor=actor)
    elif kind == "decide_exclusion":
        pending = s.scalars(select(ExclusionRequest.id).where(ExclusionRequest.status == "pending")
                            .order_by(ExclusionRequest.id)).all()
        if pending:
            decide = reviewer_oversight.confirm if rest[1] else reviewer_oversight.reject
            decide(s, pending[rest[0] % len(pending)], actor=actor)
    elif kind == "accept":
        waiting = s.scalars(select(RoleGrant).where(RoleGrant.status == "pending", RoleGrant.role == REVIEWER)
                            .order_by(RoleGrant.id)).all()
        if waiting:
            grant = waiting[rest[0] % len(waiting)]
            grants.accept(s, grant.id, actor=s.get(User, grant.user_id))  # type: ignore[arg-type]
    elif kind == "recuse":
        case_access.recuse(s, s.get(CaseFile, cases[rest[0] % len(cases)]), actor=actor,  # type: ignore[arg-type]
                           reason="I know the family.")
    elif kind == "lift":
        rows = s.scalars(select(CaseExclusion.id).order_by(CaseExclusion.id)).all()
        if rows:
            case_access.lift_exclusion(s, rows[rest[0] % len(rows)], actor=actor)
    elif kind == "roles":
        grants.change_roles(s, s.get(User, people[rest[0] % len(people)]), sorted(rest[1]),  # type: ignore[arg-type]
                            actor=actor)
    elif kind == "confirm":
        pending = s.scalars(select(RoleGrant.id).where(RoleGrant.status == "pending").order_by(RoleGrant.id)).all()
        if pending:
            grants.confirm(s, pending[rest[0] % len(pending)], actor=actor)
    elif kind == "active":
        grants.set_active(s, s.get(User, people[rest[0] % len(people)]), rest[1], actor=actor)  # type: ignore[arg-type]


def _check_oversight(s: Session, open_cases: list[CaseFile], predating: set[int]) -> None:
    """Checked with `can_view` and the rows themselves, not with the service's own SQL."""
    overseers = [u for u in s.scalars(select(User).where(User.active.is_(True))).all()
                 if u.has_role(REVIEWER) and not u.has_role("ceo")]
    assert overseers, "no active independent reviewer is left"
    for case in open_cases:
        if any(case_access.can_view(s, r, case) for r in overseers):
            continue
        for r in overseers:
            row = s.scalars(select(CaseExclusion).where(CaseExclusion.case_id == case.id,
                                                        CaseExclusion.user_id == r.id)).first()
            assert row is not None, f"case {case.reference} is hidden from reviewer {r.email} without an exclusion"
            assert (row.kind == ExclusionKind.RECUSED or row.confirmed_by_id not in (None, row.created_by_id)
                    or row.id in predating), f"reviewer {r.email} was blinded on {case.reference} by one person"
    for r in _reviewers(s):
        mine = s.scalars(select(CaseExclusion.id).where(CaseExclusion.user_id == r.id)).all()
        assert len(reviewer_oversight.stubs_for(s, r)) == len(mine), f"{r.email} does not see every stub"


def _note_predating(s: Session, predating: set[int]) -> None:
    """Exclusions seen while their person was not (yet) a reviewer: made for another role."""
    for row in s.scalars(select(CaseExclusion)).all():
        person = s.get(User, row.user_id)
        if person is not None and not person.has_role(REVIEWER):
            predating.add(row.id)


def _check(s: Session, *, alerts: bool = False, predating: set[int] | None = None) -> None:
    everyone = s.scalars(select(User)).all()
    open_cases = s.scalars(select(CaseFile).where(CaseFile.status != CaseStatus.CLOSED)).all()
    for case in open_cases:
        handlers = [u.email for u in everyone if case_access.can_handle(s, u, case)]
        assert handlers, f"case {case.reference} ({case.category}, routed to {case.routed_role}) has nobody"
    _check_oversight(s, list(open_cases), predating if predating is not None else set())
    if not alerts:
        return
    case_alerts.generate(s, utcnow())
    s.flush()
    for case in open_cases:
        alerted = s.scalars(select(CaseAlert.user_id).where(CaseAlert.case_id == case.id)).all()
        assert any(case_access.can_view(s, s.get(User, uid), case) for uid in alerted), (  # type: ignore[arg-type]
            f"the deadline of case {case.reference} reaches nobody")
    s.rollback()  # the alerts were only a probe


# Each example is a fresh desk and up to 12 steps; shrinking one costs minutes, so a failure is
# reported as generated, with the staff and every step in the notes.
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=staff_plan, steps=st.lists(op, min_size=1, max_size=12))
def test_every_open_case_keeps_someone_who_may_handle_it(app, schema_engine, plan, steps):
    _wipe(schema_engine)
    with app.app_context():
        s = new_session(app)
        try:
            people, cases = _build(s, plan)
            note(f"staff {plan}")
            predating: set[int] = set()
            _check(s, predating=predating)
            for step in steps:
                note(f"step {step!r}")
                try:
                    _run(s, step, people, cases)
                    s.commit()
                except REFUSED:
                    s.rollback()
                s.expire_all()
                _check(s, predating=predating)
                _note_predating(s, predating)
            _check(s, alerts=True, predating=predating)
        finally:
            s.close()
