"""The reviewer's reports: tables and server-drawn bars, exportable as CSV and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Response, abort, render_template

from c2c_safety.audit import log as audit
from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.csv_export import to_csv
from c2c_safety.oversight import reports as reviewer_reports
from c2c_safety.oversight.views import bp

REVIEWER = "independent_reviewer"


def _period() -> tuple[datetime, datetime]:
    # Dates within core.params' range, so a year either side stays inside the calendar.
    today = datetime.now(UTC).date()
    until_d = params.arg_date("until") or today
    since_d = params.arg_date("since") or until_d - timedelta(days=365)
    if since_d > until_d:
        since_d, until_d = until_d, since_d
    start = datetime.combine(since_d, datetime.min.time(), UTC)
    end = datetime.combine(until_d + timedelta(days=1), datetime.min.time(), UTC)
    return start, end


def _report() -> reviewer_reports.Report:
    s = db.session()
    since, until = _period()
    rep = reviewer_reports.build(s, staff(), since, until)
    audit.record(s, "view.reports", actor=staff(), target_type="report",
                 details={"since": since.date().isoformat(), "until": until.date().isoformat()})
    s.commit()
    return rep


@bp.route("/reports")
@roles_required(REVIEWER)
def reports() -> str:
    rep = _report()
    return render_template("oversight/reports.html", rep=rep, until_day=(rep.until - timedelta(days=1)).date())


@bp.route("/reports.<fmt>")
@roles_required(REVIEWER)
def reports_export(fmt: str) -> Response:
    if fmt not in ("csv", "json"):
        abort(404)
    rep = _report()
    rows = reviewer_reports.rows(rep)
    if fmt == "json":
        resp = Response(json.dumps({"since": rep.since.isoformat(), "until": rep.until.isoformat(),
                                    "rows": rows}, indent=1), mimetype="application/json")
    else:
        resp = Response(to_csv(rows, ["section", "metric", "value", "unit", "of"]), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="c2c-report-{rep.since.date()}.{fmt}"'
    return resp


@bp.route("/decisions")
@roles_required(REVIEWER)
def decisions() -> str:
    """Read-only: every moderator decision with the item and the statement of reasons."""
    from c2c_safety.oversight import reviewer as service

    s = db.session()
    moderator = params.arg_text("moderator", 120)
    ground = params.arg_text("ground", 40)
    rows = service.decisions_page(s, before_id=params.arg_int("before"), moderator=moderator, ground=ground)
    audit.record(s, "view.decisions", actor=staff(), target_type="decision",
                 details={"count": len(rows), "filtered": bool(moderator or ground)})
    s.commit()
    return render_template("oversight/decisions.html", rows=rows, moderator=moderator, ground=ground, page_size=50)
