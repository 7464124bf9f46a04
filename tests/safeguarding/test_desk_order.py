"""The lead's desk (issue 13, part 3; issue 19): one list, overdue and unassigned first, then
riskiest, then by time to target; anonymous reports about a child are referrals in the same
list, a named lead and deputy (round robin, reassignable), "mark all seen", filters by state and assignee."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from c2c_safety.core.db import new_session
from models import AuditEvent, CaseFile, utcnow
from models.review import SafeguardingAlert, SafeguardingReferral
from tests.conftest import login
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.review import make_item
from tests.support.safeguarding import QUIET, open_referral, people, post, record, referral_id


def standard(app) -> int:
    # An adult's post the AI scored high for grooming, flagged by another adult: no child named.
    return make_item(app, author="u-adult-s", age_band="adult", author_role="teacher",
                     flags=[("u-parent-s", "parent", "other")], scores={**QUIET, "grooming": 0.97},
                     waited=timedelta(hours=30))


def high(app) -> int:
    # Two 13-15 pupils in a one-to-one chat, bullying.
    return make_item(app, author="u-teen-h", age_band="13to15", chat_kind="one_to_one", audience="13to15",
                     flags=[("u-teen-h2", "student", "bullying")], scores=QUIET, waited=timedelta(hours=20))


def desk_order(html: str) -> list[str]:
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return re.findall(r'href="(/safeguarding/referrals/\d+|/cases/\d+)"', body)


def set_opened(app, rid: int, hours_ago: float) -> None:
    with app.app_context():
        s = new_session(app)
        s.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == rid)
                  .values(opened_at=utcnow() - timedelta(hours=hours_ago)))
        s.commit()
        s.close()


def test_overdue_first_then_riskiest_then_time_to_target(app, client, signed_in):
    s_rid = referral_id(app, standard(app))
    h_rid = referral_id(app, high(app))
    u_rid = referral_id(app, teacher_dm(app))
    u2_rid = referral_id(app, make_item(app, author="u-t-9", age_band="adult", author_role="teacher",
                                        chat_kind="one_to_one", audience="under13",
                                        flags=[("u-c-9", "student", "other")], scores=QUIET))
    set_opened(app, s_rid, 30)  # the oldest and overdue, but standard risk
    set_opened(app, h_rid, 20)
    set_opened(app, u_rid, 1)  # the newest urgent one is due later than the other urgent one
    set_opened(app, u2_rid, 3)
    signed_in("safeguarding_lead")
    html = client.get("/safeguarding").get_data(as_text=True)
    # The overdue one first whatever its risk (issue 19: it must not sink), then by risk.
    assert desk_order(html) == [f"/safeguarding/referrals/{r}" for r in (s_rid, u2_rid, u_rid, h_rid)]
    assert html.count("Urgent") >= 2 and "High" in html and "Standard" in html
    assert "an adult in contact with a child in a one-to-one chat" in html  # says why


def test_anonymous_safeguarding_reports_sit_in_the_same_list(app, client, signed_in):
    u_rid = referral_id(app, teacher_dm(app))
    lead = signed_in("safeguarding_lead")
    public = app.test_client()
    form = public.get("/report").get_data(as_text=True)
    tok = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    assert public.post("/report", data={"form_token": tok, "category": "safeguarding_minor",
                                        "what": "An older user asks my friend for photos."}).status_code == 200
    with app.app_context():
        s = new_session(app)
        case = s.scalars(select(CaseFile)).one()
        case_id, assignee = case.id, case.assigned_to_id
        report_rid = s.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case_id))
        s.close()
    assert assignee == lead.id  # the only lead: routed and assigned at once
    html = client.get("/safeguarding").get_data(as_text=True)
    # The report is a referral (issue 19), proposed High: below the urgent one, neither overdue.
    assert desk_order(html) == [f"/safeguarding/referrals/{u_rid}", f"/safeguarding/referrals/{report_rid}"]
    assert "Anonymous report: safeguarding minor" in html


def test_mark_all_seen(app, client, signed_in, db):
    for _ in range(3):  # three separate referrals, one alert each
        make_item(app, age_band="adult", author_role="teacher", chat_kind="one_to_one", audience="under13",
                  flags=[("u-kid", "student", "other")], scores=QUIET)
    lead = signed_in("safeguarding_lead")
    html = client.get("/safeguarding").get_data(as_text=True)
    assert "3 new alerts" in html and html.count('class="badge new"') == 3
    assert len(re.findall(r'<form method="post" action="/safeguarding/alerts/seen"', html)) == 1
    assert post(client, "/safeguarding/alerts/seen", {}, "/safeguarding").status_code == 302
    after = client.get("/safeguarding").get_data(as_text=True)
    assert "No new alerts" in after and 'class="badge new"' not in after
    assert db.scalar(select(SafeguardingAlert.id).where(SafeguardingAlert.seen_at.is_(None))) is None
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.alerts_seen")).one()
    assert ev.actor_id == lead.id and ev.details["count"] == 3


def test_new_referrals_get_a_named_lead_and_deputy_round_robin(app, make_user, db):
    a, b = make_user("safeguarding_lead"), make_user("safeguarding_lead")
    make_user("moderator")
    rids = [referral_id(app, make_item(app, age_band="adult", author_role="teacher", chat_kind="one_to_one",
                                       audience="under13", flags=[(f"u-k{n}", "student", "other")],
                                       scores=QUIET)) for n in range(3)]
    got = [(db.get(SafeguardingReferral, r).assigned_to_id, db.get(SafeguardingReferral, r).deputy_id)
           for r in rids]
    assert got == [(a.id, b.id), (b.id, a.id), (a.id, b.id)]


def test_reassigning_and_filters(app, client, signed_in, make_user, db):
    other = make_user("safeguarding_lead")
    rid = referral_id(app, teacher_dm(app))  # assigned to `other`, the only lead so far
    me = signed_in("safeguarding_lead")
    url = f"/safeguarding/referrals/{rid}"
    open_referral(client, rid)
    assert post(client, f"{url}/assign", {"lead": str(me.id), "deputy": str(me.id)}, url).status_code == 400
    moderator = make_user("moderator")
    assert post(client, f"{url}/assign", {"lead": str(moderator.id), "deputy": "0"}, url).status_code == 400
    assert db.get(SafeguardingReferral, rid).assigned_to_id == other.id
    db.rollback()
    assert client.get("/safeguarding?assignee=me").get_data(as_text=True).count(url + '"') == 0
    assert post(client, f"{url}/assign", {"lead": str(me.id), "deputy": str(other.id)}, url).status_code == 302
    assert client.get("/safeguarding?assignee=me").get_data(as_text=True).count(url + '"') == 1
    assert client.get(f"/safeguarding?assignee={other.id}").get_data(as_text=True).count(url + '"') == 1  # deputy
    assert client.get("/safeguarding?assignee=none").get_data(as_text=True).count(url + '"') == 0
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.assigned",
                                             AuditEvent.actor_id == me.id)).one()
    assert ev.details == {"lead_id": me.id, "deputy_id": other.id}
    db.rollback()
    # State filters: closed referrals leave the open list and show under "closed".
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_school", detail="Phoned.").status_code == 302
    from tests.support.safeguarding import close

    assert close(client, rid, "resolved_with_school").status_code == 302
    assert url + '"' not in client.get("/safeguarding").get_data(as_text=True)
    assert url + '"' in client.get("/safeguarding?state=closed").get_data(as_text=True)
    assert url + '"' in client.get("/safeguarding?state=all").get_data(as_text=True)
    # Unknown filter values fall back, never a 500.
    assert client.get("/safeguarding?state=%00&assignee=<x>").status_code == 200


def test_taken_up_is_no_longer_overdue(app, client, signed_in):
    rid = referral_id(app, teacher_dm(app))
    set_opened(app, rid, 30)
    signed_in("safeguarding_lead")
    assert "row-overdue" in client.get("/safeguarding").get_data(as_text=True)
    assert "row-overdue" in client.get("/safeguarding?state=overdue").get_data(as_text=True)
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_school", detail="Phoned the school.").status_code == 302
    html = client.get("/safeguarding").get_data(as_text=True)
    assert "row-overdue" not in html and "Taken up" in html


def test_other_roles_cannot_mark_seen_or_assign(app, client, make_user):
    rid = referral_id(app, teacher_dm(app))
    login(client, make_user("moderator"))
    from tests.support.safeguarding import token

    tok = token(client.get("/account").get_data(as_text=True)) if "csrf_token" in client.get(
        "/account").get_data(as_text=True) else ""
    for url in ("/safeguarding/alerts/seen", f"/safeguarding/referrals/{rid}/seen",
                f"/safeguarding/referrals/{rid}/assign", f"/safeguarding/referrals/{rid}/close"):
        assert client.post(url, data={"csrf_token": tok}).status_code == 403, url
