"""The independent reviewer (`/review`): read-only oversight, own notes, samples, reports.

The independent reviewer: the audit browser, case trails, own review notes, samples.

The reviewer changes nothing here except their own notes and sample verdicts; every case
they look at goes through cases.access like anyone else's.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WResponse

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases.access import CaseNotFoundError
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.oversight import reviewer as service
from c2c_safety.oversight.forms import ReviewNoteForm, VerdictForm
from models import CaseFile

bp = Blueprint("reviewer", __name__, url_prefix="/review")
NAV.append(NavLink("reviewer.index", "Independent review", frozenset({"independent_reviewer"})))

REVIEWER = "independent_reviewer"


@bp.route("/")
@roles_required(REVIEWER)
def index() -> str:
    return render_template("oversight/index.html")


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/audit")
@roles_required(REVIEWER)
def audit_log() -> str:
    s = db.session()
    before = request.args.get("before", "")
    f = service.AuditFilter(action=request.args.get("action", "")[:64], actor=request.args.get("actor", "")[:120],
                            since=_date("since"), until=_date("until"),
                            case_reference=request.args.get("case", "")[:20],
                            before_seq=int(before) if before.isdigit() else None)
    rows = service.browse(s, staff(), f)
    audit.record(s, "view.audit_log", actor=staff(), target_type="audit_log",
                 details={"filtered": any([f.action, f.actor, f.since, f.until, f.case_reference])})
    s.commit()
    return render_template("oversight/audit.html", rows=rows, f=f, page_size=100)


@bp.route("/audit/verify")
@roles_required(REVIEWER)
def verify() -> str:
    s = db.session()
    result = audit.verify(s)
    audit.record(s, "audit.verified", actor=staff(), target_type="audit_log",
                 details={"ok": result.ok, "checked": result.checked})
    s.commit()
    return render_template("oversight/verify.html", result=result)


@bp.route("/cases/<int:case_id>/trail.<fmt>")
@roles_required(REVIEWER)
def case_trail(case_id: int, fmt: str) -> Response:
    if fmt not in ("csv", "json"):
        abort(404)
    s = db.session()
    try:
        events = service.case_trail(s, staff(), case_id)
    except CaseNotFoundError:
        abort(404)
    reference = s.get(CaseFile, case_id)
    ref = reference.reference if reference else str(case_id)
    audit.record(s, "case.trail_exported", actor=staff(), target_type="case", target_id=case_id, case_id=case_id,
                 details={"format": fmt})
    s.commit()
    rows = [service.event_dict(e) for e in events]
    if fmt == "json":
        body = json.dumps({"case": ref, "events": rows}, indent=1)
        resp = Response(body, mimetype="application/json")
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(service.TRAIL_FIELDS))
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "details": json.dumps(r["details"], sort_keys=True)})
        resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-{ref}.{fmt}"'
    return resp


@bp.route("/notes", methods=["GET", "POST"])
@roles_required(REVIEWER)
def notes() -> WResponse | str | tuple[str, int]:
    s = db.session()
    case_arg = request.values.get("case_id", "")
    case = None
    if case_arg.isdigit():
        try:
            case = case_access.get_visible(s, staff(), int(case_arg))
        except CaseNotFoundError:
            abort(404)
    form = ReviewNoteForm(case_id=str(case.id) if case else "")
    if form.validate_on_submit():
        try:
            service.add_note(s, staff(), form.text.data or "", case_id=case.id if case else None)
        except service.ReviewerError as exc:
            s.rollback()
            form.text.errors = [str(exc)]
        else:
            s.commit()
            flash("Review note saved.", "success")
            return redirect(url_for("reviewer.notes", case_id=case.id) if case else url_for("reviewer.notes"))
    rows = service.notes_for(s, staff(), case_id=case.id if case else None)
    status = 400 if form.errors else 200
    return render_template("oversight/notes.html", form=form, rows=rows, case=case), status


@bp.route("/notes/<int:note_id>", methods=["POST"])
@roles_required(REVIEWER)
def note_edit(note_id: int) -> WResponse:
    s = db.session()
    if not service.can_edit_note(s, staff(), note_id):
        abort(404)
    form = ReviewNoteForm()
    if not form.validate_on_submit():
        abort(400, "Write the note's new text (at most 10,000 characters).")
    try:
        note = service.edit_note(s, staff(), note_id, form.text.data or "")
    except LookupError:
        abort(404)
    except service.ReviewerError as exc:
        s.rollback()
        abort(400, str(exc))
    s.commit()
    flash("Review note updated.", "success")
    return redirect(url_for("reviewer.notes", case_id=note.case_id) if note.case_id else url_for("reviewer.notes"))


@bp.route("/sample")
@roles_required(REVIEWER)
def sample() -> str:
    s = db.session()
    year, week = service.parse_week(request.args.get("week"))
    samples = service.draw_sample(s, year, week)
    audit.record(s, "view.quality_sample", actor=staff(), target_type="quality_sample",
                 details={"week": f"{year}-W{week:02d}", "size": len(samples)})
    s.commit()
    by_mod = service.disagreement_rates(s, "moderator")
    by_cat = service.disagreement_rates(s, "category")
    return render_template("oversight/sample.html", year=year, week=week, rows=service.sample_rows(s, samples),
                           form=VerdictForm(), by_moderator=by_mod, by_category=by_cat,
                           mod_chart=[(f"{r.key} {r.week}", round(r.rate * 100)) for r in by_mod][-20:],
                           cat_chart=[(f"{r.key} {r.week}", round(r.rate * 100)) for r in by_cat][-20:])


@bp.route("/sample/<int:sample_id>", methods=["POST"])
@roles_required(REVIEWER)
def verdict(sample_id: int) -> WResponse:
    s = db.session()
    form = VerdictForm()
    if not form.validate_on_submit():
        abort(400, "Choose agree or disagree.")
    try:
        row = service.set_verdict(s, staff(), sample_id, form.verdict.data or "", form.note.data or "")
    except LookupError:
        abort(404)
    except service.ReviewerError as exc:
        s.rollback()
        abort(400, str(exc))
    s.commit()
    flash("Verdict saved.", "success")
    return redirect(url_for("reviewer.sample", week=f"{row.iso_year}-W{row.iso_week:02d}"))
