"""The reviewer's reports: tables and server-drawn bars, exportable as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

from flask import Response, abort, render_template, request

from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.oversight import reports as reviewer_reports
from c2c_safety.oversight.views import bp

REVIEWER = "independent_reviewer"


def _period() -> tuple[datetime, datetime]:
    def parse(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    today = datetime.now(UTC).date()
    until_d = parse("until") or today
    since_d = parse("since") or until_d - timedelta(days=365)
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
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["section", "metric", "value", "unit", "of"])
        writer.writeheader()
        writer.writerows(rows)
        resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="c2c-report-{rep.since.date()}.{fmt}"'
    return resp


@bp.route("/decisions")
@roles_required(REVIEWER)
def decisions() -> str:
    """Read-only: every moderator decision with the item and the statement of reasons."""
    from c2c_safety.oversight import reviewer as service

    s = db.session()
    before = request.args.get("before", "")
    moderator = request.args.get("moderator", "")[:120]
    ground = request.args.get("ground", "")[:40]
    rows = service.decisions_page(s, before_id=int(before) if before.isdigit() else None,
                                  moderator=moderator, ground=ground)
    audit.record(s, "view.decisions", actor=staff(), target_type="decision",
                 details={"count": len(rows), "filtered": bool(moderator or ground)})
    s.commit()
    return render_template("oversight/decisions.html", rows=rows, moderator=moderator, ground=ground, page_size=50)
