"""The independent reviewer (`/review`): read-only oversight, own notes, samples, reports.

The independent reviewer: the audit browser, case trails, own review notes, samples.

The reviewer changes nothing here except their own notes and sample verdicts; every case
they look at goes through cases.access like anyone else's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response as WResponse

from c2c_safety.audit import checkpoints
from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer as audit_sequencer
from c2c_safety.audit.verify import VerifyResult, describe
from c2c_safety.cases import access as case_access
from c2c_safety.cases.access import CaseNotFoundError
from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.csv_export import to_csv
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.oversight import reviewer as service
from c2c_safety.oversight import safeguarding_sample as sg_sample
from c2c_safety.oversight.forms import ReviewNoteForm, VerdictForm
from models import CaseFile, QualitySample
from models.safeguarding_records import SafeguardingSample

bp = Blueprint("reviewer", __name__, url_prefix="/review")
NAV.append(NavLink("reviewer.index", lazy_gettext("Independent review"), frozenset({"independent_reviewer"})))

REVIEWER = "independent_reviewer"


@bp.route("/")
@roles_required(REVIEWER)
def index() -> str:
    return render_template("oversight/index.html")


@bp.route("/audit")
@roles_required(REVIEWER)
def audit_log() -> str:
    s = db.session()
    f = service.AuditFilter(action=params.arg_text("action", 64), actor=params.arg_text("actor", 120),
                            since=params.arg_date("since"), until=params.arg_date("until"),
                            case_reference=params.arg_text("case", 20),
                            before_seq=params.arg_int("before", hi=params.INT64_MAX))
    page = service.browse(s, staff(), f)
    audit.record(s, "view.audit_log", actor=staff(), target_type="audit_log",
                 details={"filtered": any([f.action, f.actor, f.since, f.until, f.case_reference])})
    s.commit()
    # Exclusion entries of a case the reviewer is excluded from are listed without the case
    # (issue 20: they see that they were excluded, not which case it is).
    ids = {e.case_id for e in [*page.entries, *page.pending] if e.case_id is not None}
    openable = set(s.scalars(case_access.visible_case_ids(staff()).where(CaseFile.id.in_(ids)))) if ids else set()
    return render_template("oversight/audit.html", rows=page.entries, pending=page.pending,
                           pending_total=page.pending_total, f=f, page_size=100, openable=openable)


def _render_verify(result: VerifyResult, kept_text: str, status: int = 200,
                   error: str | None = None) -> tuple[str, int]:
    return render_template("oversight/verify.html", result=result, lines=describe(result), kept_text=kept_text,
                           public_key=checkpoints.public_key_b64(), error=error), status


@bp.route("/audit/verify")
@roles_required(REVIEWER)
def verify() -> tuple[str, int]:
    """The log against its witness and stored checkpoints, and against a checkpoint the
    reviewer kept if one is given (`?checkpoint=<the line>`; a GET: nothing changes)."""
    s = db.session()
    kept_text = request.args.get("checkpoint", "").strip()
    kept = None
    if kept_text:
        try:
            if len(kept_text) > checkpoints.MAX_LINE:
                raise checkpoints.CheckpointError("it is far longer than a checkpoint line")
            kept = checkpoints.parse(kept_text, checkpoints.public_key())
        except checkpoints.CheckpointError as exc:
            return _render_verify(audit.verify(s), kept_text[: checkpoints.MAX_LINE], 400,
                                  _("That is not a checkpoint this desk signed: %(why)s.", why=str(exc)))
    result = audit.verify(s, kept=kept)
    audit.record(s, "audit.verified", actor=staff(), target_type="audit_log",
                 details={"ok": result.ok, "checked": result.checked, "size": result.size,
                          "kept_checkpoint": kept.size if kept else None})
    s.commit()
    return _render_verify(result, kept_text)


@bp.route("/audit/checkpoint.json")
@roles_required(REVIEWER)
def checkpoint() -> Response | WResponse:
    """The latest signed checkpoint, as a file to keep and verify the log against later."""
    s = db.session()
    cp = audit_sequencer.latest_signed(s)
    if cp is None:
        # A fresh desk whose worker has not signed anything yet: say so where the link was.
        flash(_("No checkpoint has been signed yet. The worker signs one within seconds of the "
                "first audit entry; try again shortly."), "info")
        return redirect(url_for("reviewer.verify"))
    audit.record(s, "audit.checkpoint_downloaded", actor=staff(), target_type="audit_log",
                 details={"size": cp.size})
    s.commit()
    resp = Response(cp.line + "\n", mimetype="application/json")
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-checkpoint-{cp.size}.json"'
    return resp


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
        body = to_csv(({**r, "details": json.dumps(r["details"], sort_keys=True)} for r in rows),
                      service.TRAIL_FIELDS)
        resp = Response(body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-{ref}.{fmt}"'
    return resp


@bp.route("/notes", methods=["GET", "POST"])
@roles_required(REVIEWER)
def notes() -> WResponse | str | tuple[str, int]:
    s = db.session()
    case_id = params.value_int("case_id")
    case = None
    if case_id is not None:
        try:
            case = case_access.get_visible(s, staff(), case_id)
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
            flash(_("Review note saved."), "success")
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
        abort(400, _("Write the note's new text (at most 10,000 characters)."))
    try:
        note = service.edit_note(s, staff(), note_id, form.text.data or "")
    except LookupError:
        abort(404)
    except service.ReviewerError as exc:
        s.rollback()
        abort(400, str(exc))
    s.commit()
    flash(_("Review note updated."), "success")
    return redirect(url_for("reviewer.notes", case_id=note.case_id) if note.case_id else url_for("reviewer.notes"))


@bp.route("/sample")
@roles_required(REVIEWER)
def sample() -> tuple[str, int]:
    s = db.session()
    asked = request.args.get("week", "")[:40]
    try:
        year, week = service.parse_week(asked)
    except service.WeekError as exc:
        year, week = service.last_complete_week()
        return _render_sample(year, week, [], in_progress=False, error=str(exc), asked=asked), 400
    # A week still under way is shown as such: drawing now would freeze a sample that
    # misses the rest of the week's decisions, so it is drawn once the week is over.
    in_progress = not service.week_is_over(year, week)
    samples = [] if in_progress else service.draw_sample(s, year, week)
    referrals = [] if in_progress else sg_sample.draw(s, year, week)
    audit.record(s, "view.quality_sample", actor=staff(), target_type="quality_sample",
                 details={"week": f"{year}-W{week:02d}", "size": len(samples), "referrals": len(referrals)})
    s.commit()
    return _render_sample(year, week, samples, in_progress=in_progress, referrals=referrals), 200


def _render_sample(year: int, week: int, samples: list[QualitySample], *, in_progress: bool,
                   error: str | None = None, asked: str = "",
                   referrals: list[SafeguardingSample] | None = None) -> str:
    s = db.session()
    by_mod = service.disagreement_rates(s, "moderator")
    by_cat = service.disagreement_rates(s, "category")
    return render_template("oversight/sample.html", year=year, week=week, rows=service.sample_rows(s, samples),
                           form=VerdictForm(), by_moderator=by_mod, by_category=by_cat, error=error,
                           asked=asked, in_progress=in_progress, sg_rows=sg_sample.rows(s, referrals or []),
                           ends=service.week_bounds(year, week)[1],
                           mod_chart=[(f"{r.key} {r.week}", round(r.rate * 100)) for r in by_mod][-20:],
                           cat_chart=[(f"{r.key} {r.week}", round(r.rate * 100)) for r in by_cat][-20:])


def _save_verdict(setter: Callable[..., Any], sample_id: int, anchor: str = "") -> WResponse:
    """One verdict on one sampled record (a decision or a referral): validate, save, redirect."""
    s = db.session()
    form = VerdictForm()
    if not form.validate_on_submit():
        abort(400, _("Choose agree or disagree."))
    try:
        row = setter(s, staff(), sample_id, form.verdict.data or "", form.note.data or "")
    except LookupError:
        abort(404)
    except service.ReviewerError as exc:
        s.rollback()
        abort(400, str(exc))
    s.commit()
    flash(_("Verdict saved."), "success")
    return redirect(url_for("reviewer.sample", week=f"{row.iso_year}-W{row.iso_week:02d}") + anchor)


@bp.route("/sample/<int:sample_id>", methods=["POST"])
@roles_required(REVIEWER)
def verdict(sample_id: int) -> WResponse:
    return _save_verdict(service.set_verdict, sample_id)


@bp.route("/sample/safeguarding/<int:sample_id>", methods=["POST"])
@roles_required(REVIEWER)
def referral_verdict(sample_id: int) -> WResponse:
    return _save_verdict(sg_sample.set_verdict, sample_id, "#safeguarding-sample")
