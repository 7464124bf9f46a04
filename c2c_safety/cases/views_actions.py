"""Case actions (POST): validate the form, call one service, commit, redirect.

Only someone who may handle the case gets here (403 otherwise, 404 if they may not even
see it); the services check again. A bad form re-renders the case page with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from c2c_safety.cases import access as case_access
from c2c_safety.cases import closing
from c2c_safety.cases import lifecycle as cases
from c2c_safety.cases import redaction as case_redaction
from c2c_safety.cases.access import CASE_ROLES, ExclusionError
from c2c_safety.cases.forms import (
    AssignForm,
    CloseForm,
    ExcludeForm,
    FeedbackForm,
    MessageForm,
    NoteForm,
    ReasonForm,
    RecuseForm,
    RedactForm,
    StepForm,
    choices,
)
from c2c_safety.cases.lifecycle import CaseError, CaseForbiddenError
from c2c_safety.cases.views import bp, detail_context, visible_or_404
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from models import CaseFile, User

Action = Callable[[CaseFile, Any], object]


def _run(case_id: int, form: FlaskForm, form_key: str, action: Action, done: str | Callable[[], str],
         *, leaves: bool = False) -> Response | tuple[str, int]:
    case = visible_or_404(case_id)
    s = db.session()
    if not case_access.can_handle(s, staff(), case):
        abort(403)
    if form.validate_on_submit():
        try:
            action(case, form)
            s.commit()
        except (CaseError, ExclusionError) as exc:
            s.rollback()
            flash(str(exc), "error")
            return render_template("cases/detail.html", **detail_context(case, **{form_key: form})), 400
        except (CaseForbiddenError, PermissionError):
            s.rollback()
            abort(403)
        except StaleDataError:
            s.rollback()
            flash(_("Someone else changed this case at the same time. Check it and try again."), "error")
            return redirect(url_for("cases.detail", case_id=case_id))
        flash(done() if callable(done) else done, "success")
        return redirect(url_for("cases.index") if leaves else url_for("cases.detail", case_id=case_id))
    return render_template("cases/detail.html", **detail_context(case, **{form_key: form})), 400


@bp.route("/<int:case_id>/acknowledge", methods=["POST"])
@roles_required(*CASE_ROLES)
def acknowledge(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, StepForm(), "step_form",
                lambda c, f: cases.acknowledge(db.session(), c, actor=staff()), _("Receipt acknowledged."))


@bp.route("/<int:case_id>/investigate", methods=["POST"])
@roles_required(*CASE_ROLES)
def investigate(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, StepForm(), "step_form",
                lambda c, f: cases.start_investigation(db.session(), c, actor=staff()),
                _("Investigation started."))


@bp.route("/<int:case_id>/feedback", methods=["POST"])
@roles_required(*CASE_ROLES)
def feedback(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, FeedbackForm(), "feedback_form",
                lambda c, f: cases.give_feedback(db.session(), c, actor=staff(), text=f.text.data),
                _("Feedback recorded."))


@bp.route("/<int:case_id>/close", methods=["POST"])
@roles_required(*CASE_ROLES)
def close(case_id: int) -> Response | tuple[str, int]:
    closed: list[bool] = []

    def act(c: CaseFile, f: Any) -> None:
        closed.append(closing.propose(db.session(), c, actor=staff(), outcome=f.outcome.data or "",
                                      findings=f.findings.data or "", authority=f.authority.data or "",
                                      authority_ref=f.authority_ref.data or ""))

    return _run(case_id, CloseForm(), "close_form", act,
                lambda: _("Case closed. Nobody else may handle it, so it is recorded as closed alone. The retention "
                          "clock has started.") if closed and closed[0] else
                        _("Closure proposed. A second person who handles this case approves it."))


@bp.route("/<int:case_id>/close/approve", methods=["POST"])
@roles_required(*CASE_ROLES)
def approve_close(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, StepForm(), "step_form",
                lambda c, f: closing.approve(db.session(), c, actor=staff()),
                _("Closure approved. The case is closed and the retention clock has started."))


@bp.route("/<int:case_id>/close/decline", methods=["POST"])
@roles_required(*CASE_ROLES)
def decline_close(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, StepForm(), "step_form",
                lambda c, f: closing.decline(db.session(), c, actor=staff()),
                _("The proposed closure was sent back. The case stays open."))


@bp.route("/<int:case_id>/reopen", methods=["POST"])
@roles_required(*CASE_ROLES)
def reopen(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, ReasonForm(prefix="reopen"), "reopen_form",
                lambda c, f: cases.reopen(db.session(), c, actor=staff(), reason=f.reason.data or ""),
                _("Case reopened."))


@bp.route("/<int:case_id>/message", methods=["POST"])
@roles_required(*CASE_ROLES)
def message(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, MessageForm(prefix="msg"), "message_form",
                lambda c, f: cases.send_message(db.session(), c, actor=staff(), text=f.text.data or "",
                                                files=f.file.files()),
                _("Message sent. The reporter sees it with their receipt."))


@bp.route("/<int:case_id>/note", methods=["POST"])
@roles_required(*CASE_ROLES)
def note(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, NoteForm(prefix="note"), "note_form",
                lambda c, f: cases.add_note(db.session(), c, actor=staff(), text=f.text.data or ""),
                _("Note added."))


@bp.route("/<int:case_id>/assign", methods=["POST"])
@roles_required(*CASE_ROLES)
def assign(case_id: int) -> Response | tuple[str, int]:
    case = visible_or_404(case_id)
    form = AssignForm()
    form.assignee.choices = choices([(0, _("Nobody"))] + [(p.id, f"{p.display_name} <{p.email}>") for p in
                                                        case_access.eligible_handlers(db.session(), case)])
    return _run(case_id, form, "assign_form",
                lambda c, f: cases.assign(db.session(), c, actor=staff(), assignee_id=f.assignee.data or None),
                _("Assignment saved."))


@bp.route("/<int:case_id>/exclude", methods=["POST"])
@roles_required(*CASE_ROLES)
def exclude(case_id: int) -> Response | tuple[str, int]:
    form = ExcludeForm()
    form.person.choices = choices((u.id, f"{u.display_name} <{u.email}>") for u in db.session().scalars(
        select(User).where(User.active.is_(True))))

    def act(c: CaseFile, f: Any) -> None:
        person = db.session().get(User, f.person.data)
        if person is None:
            raise CaseError(_("No such staff account."))
        case_access.exclude(db.session(), c, person, actor=staff(), reason=f.reason.data or "")

    return _run(case_id, form, "exclude_form", act,
                _("Exclusion recorded. That person can no longer find, open or be alerted about this case. "
                  "(Excluding an independent reviewer waits until the CEO or the other reviewer confirms it; "
                  "see Case conflicts.)"))


@bp.route("/<int:case_id>/recuse", methods=["POST"])
@roles_required(*CASE_ROLES)
def recuse(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, RecuseForm(prefix="recuse"), "recuse_form",
                lambda c, f: case_access.recuse(db.session(), c, actor=staff(), reason=f.reason.data or ""),
                _("You have recused yourself from the case."), leaves=True)


@bp.route("/<int:case_id>/hold", methods=["POST"])
@roles_required(*CASE_ROLES)
def hold(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, ReasonForm(prefix="hold"), "hold_form",
                lambda c, f: cases.place_hold(db.session(), c, actor=staff(), reason=f.reason.data or ""),
                _("Legal hold placed. Retention is paused until it is lifted."))


@bp.route("/<int:case_id>/hold/lift", methods=["POST"])
@roles_required(*CASE_ROLES)
def lift_hold(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, StepForm(), "step_form",
                lambda c, f: cases.lift_hold(db.session(), c, actor=staff()), _("Legal hold lifted."))


@bp.route("/<int:case_id>/redact", methods=["POST"])
@roles_required(*CASE_ROLES)
def redact(case_id: int) -> Response | tuple[str, int]:
    return _run(case_id, RedactForm(prefix="redact"), "redact_form",
                lambda c, f: case_redaction.redact(db.session(), c, actor=staff(), target=f.target.data or "",
                                                   reason_code=f.reason.data or "", target_id=f.target_id.data,
                                                   span=f.span.data),
                _("Redacted. The removed text is not kept anywhere."))
