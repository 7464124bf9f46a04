"""The author's account page (review/account_view.py), internal notes on items
(review/second_opinion.py) and saved queue views (review/saved_views.py). Thin views over
the `queue` blueprint."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.locale import translated
from c2c_safety.review import account_view, decisions, queue, saved_views, second_opinion
from c2c_safety.review.forms import AskForm, NoteForm, SaveViewForm
from c2c_safety.review.statements import kind_label
from c2c_safety.review.views import READERS, bp
from models import utcnow


def _render_account(item_id: int, form: NoteForm | None = None, status: int = 200) -> tuple[str, int]:
    s = db.session()
    page = account_view.open_account(s, item_id, staff()) or abort(404)
    s.commit()
    return render_template("review/account.html", page=page, form=form or NoteForm(), now=utcnow(),
                           can_note=staff().has_role("moderator"), kind_label=kind_label,
                           action_labels=translated(decisions.ACTION_LABELS)), status


@bp.route("/<int:item_id>/account")
@roles_required(*READERS)
def account(item_id: int) -> tuple[str, int]:
    return _render_account(item_id)


@bp.route("/<int:item_id>/account/note", methods=["POST"])
@roles_required("moderator")
def account_note(item_id: int) -> Response | tuple[str, int]:
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_account(item_id, form, 400)
    s = db.session()
    try:
        account_view.add_note(s, item_id, staff(), str(form.text.data or ""))
    except LookupError:
        s.rollback()
        abort(404)
    except account_view.AccountError as exc:
        s.rollback()
        form.text.errors = [str(exc)]
        return _render_account(item_id, form, 400)
    s.commit()
    flash(_("Note added to the account."), "success")
    return redirect(url_for("queue.account", item_id=item_id))


@bp.route("/<int:item_id>/note", methods=["POST"])
@roles_required("moderator")
def item_note(item_id: int) -> Response:
    """An internal note on the item (it also answers a question put to me on it)."""
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Write the note (at most 2,000 characters)."), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="notes"))
    s = db.session()
    try:
        second_opinion.add_note(s, item_id, staff(), str(form.text.data or ""))
    except LookupError:
        s.rollback()
        abort(404)
    except second_opinion.NoteError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="notes"))
    s.commit()
    flash(_("Note added. It is internal: the author never sees it."), "success")
    return redirect(url_for("queue.item", item_id=item_id, _anchor="notes"))


@bp.route("/<int:item_id>/ask", methods=["POST"])
@roles_required("moderator")
def ask_senior(item_id: int) -> Response:
    """Ask a senior colleague: the item goes back and waits in their list."""
    form = AskForm()
    senior_id = params.parse_int(str(form.senior.data or ""))
    if not form.validate_on_submit() or senior_id is None:
        flash(_("Choose a colleague and write your question (at most 2,000 characters)."), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="notes"))
    s = db.session()
    try:
        second_opinion.ask_senior(s, item_id, staff(), senior_id, str(form.question.data or ""))
    except LookupError:
        s.rollback()
        abort(404)
    except second_opinion.NoteError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="notes"))
    s.commit()
    flash(_("Question sent; item %(id)s waits in your colleague's list and is no longer held by you.", id=item_id),
          "success")
    return redirect(url_for("queue.index"))


def _queue_with(filters: queue.QueueFilters) -> str:
    active = filters.active()
    return url_for("queue.index") + ("?" + urlencode(active) if active else "")


@bp.route("/views", methods=["POST"])
@roles_required(*READERS)
def save_view() -> Response:
    form = SaveViewForm()
    filters = queue.QueueFilters(**{k: str(request.form.get(k, ""))[:40] for k in (
        "category", "age_band", "language", "source", "status", "waiting")}).cleaned()
    if not form.validate_on_submit():
        flash(_("Give the view a name (at most 60 characters)."), "error")
        return redirect(_queue_with(filters))
    s = db.session()
    try:
        saved_views.save(s, staff(), str(form.name.data or ""), filters)
    except saved_views.SavedViewError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(_queue_with(filters))
    s.commit()
    flash(_("View saved: it is listed above the queue."), "success")
    return redirect(_queue_with(filters))


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
@roles_required(*READERS)
def delete_view(view_id: int) -> Response:
    s = db.session()
    if not saved_views.remove(s, staff(), view_id):
        s.rollback()
        abort(404)
    s.commit()
    flash(_("Saved view deleted."), "info")
    return redirect(url_for("queue.index"))
