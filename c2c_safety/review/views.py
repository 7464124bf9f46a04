"""The moderators' queue: triage list, item review, claims and human decisions.

Queue views. Moderators claim and decide; the safeguarding lead may read the queue (to
see items that concern children) but not claim or decide. Admins do not see content.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from redis import Redis
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.locale import translated
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.review import (
    appeal_review,
    bulk,
    claims,
    decisions,
    item_page,
    loop,
    policy,
    presets,
    priority,
    queue,
    reveals,
    saved_views,
    second_opinion,
    skips,
    wellbeing,
)
from c2c_safety.review.forms import (
    AppealDecideForm,
    AskForm,
    DecideForm,
    FilterForm,
    NoteForm,
    SkipForm,
    UpholdForm,
    choices,
)
from c2c_safety.review.statements import DURATION_ACTIONS, kind_label
from models import User

bp = Blueprint("queue", __name__, url_prefix="/queue")
NAV.append(NavLink("queue.index", _l("Moderation queue"), frozenset({"moderator", "safeguarding_lead"})))

READERS = ("moderator", "safeguarding_lead")


def _redis() -> Redis | None:
    try:
        return get_redis(current_app)
    except (RedisError, OSError, EmbeddedRedisError):
        return None


SKIPS_KEY = "review_skips"


def _skips() -> skips.SkipList:
    return skips.SkipList.from_session(session.get(SKIPS_KEY))


def _keep_skips(value: skips.SkipList) -> None:
    session[SKIPS_KEY] = value.to_session()


def _filters(form: FilterForm) -> queue.QueueFilters:
    return queue.QueueFilters(**{name: str(form[name].data or "") for name in (
        "category", "age_band", "language", "source", "status", "waiting")}).cleaned()


@bp.route("")
@roles_required(*READERS)
def index() -> str:
    form = FilterForm(request.args)
    filters = _filters(form)
    s = db.session()
    skipping = _skips()
    pg = queue.page(s, filters, staff(), after=queue.Cursor.decode(request.args.get("after")),
                    before=queue.Cursor.decode(request.args.get("before")), cache=_redis(),
                    exclude=skipping.exclusions())
    return render_template("review/index.html", form=form, page=pg, filters=filters.active(),
                           exposure=wellbeing.exposure_today(s, staff()), skipping=skipping,
                           asked=second_opinion.asked_of(s, staff()), saved=saved_views.views_of(s, staff()))


def _decide_form(appeal: bool, version: int) -> DecideForm:
    form: DecideForm = AppealDecideForm() if appeal else DecideForm()
    form.reason_code.choices = choices([("", _("Choose a reason"))] + [
        (r.code, r.label) for r in policy.reasons(db.session())])
    if not form.is_submitted():
        form.version.data = version
    return form


def _apply_preset(form: DecideForm, page: item_page.ItemPage, key: str | None) -> str | None:
    """No-JavaScript presets: `?preset=<key>` fills the form (the moderator still submits)."""
    chosen = presets.find(page.presets, key)
    if chosen is None or form.is_submitted():
        return None
    form.action.data, form.reason_code.data = chosen.action, chosen.reason_code
    form.duration.data, form.facts.data = chosen.duration, chosen.facts
    if "appeal_outcome" in form:  # under appeal a preset is a reversal
        form["appeal_outcome"].data = "reverse"
    return chosen.label


def _ask_form(seniors: list[User]) -> AskForm:
    form = AskForm()
    form.senior.choices = choices([("", _("Choose a colleague"))] + [(str(u.id), u.display_name or u.email)
                                                                  for u in seniors])
    return form


def _asked(form: DecideForm | None, name: str) -> bool:
    """A confirmation box the desk asked for (its error) or the moderator already ticked."""
    return bool(form is not None and name in form and (form[name].errors or form[name].data))


def _render_item(item_id: int, form: DecideForm | None = None, status: int = 200,
                 error: str | None = None, uphold_form: UpholdForm | None = None) -> tuple[str, int]:
    s = db.session()
    page = item_page.open_item(s, item_id, staff(), classifier_spec=current_app.config["C2C"].classifier) \
        or abort(404)
    s.commit()
    applied = None
    if form is None and page.mine:
        form = _decide_form(page.under_appeal, page.view.item.version)
        applied = _apply_preset(form, page, request.args.get("preset"))
    skip_form = SkipForm() if staff().has_role("moderator") and page.view.item.status in claims.WAITING else None
    if uphold_form is None and page.mine and page.original is not None:
        uphold_form = UpholdForm()
        uphold_form.version.data = page.view.item.version
    return render_template("review/item.html", page=page, view=page.view, form=form, mine=page.mine,
                           skip_form=skip_form, uphold_form=uphold_form, note_form=NoteForm(),
                           ask_form=_ask_form(page.seniors),
                           error=error, applied=applied, can_decide=staff().has_role("moderator"),
                           excluded=page.view.excluded_decider_id == staff().id,
                           exposure=page.exposure_today, kind_label=kind_label,
                           action_labels=translated(decisions.ACTION_LABELS),
                           duration_actions=sorted(DURATION_ACTIONS),
                           level_labels={k: _(v) for k, v in priority.LEVEL_LABELS.items()},
                           confirm_needed=_asked(form, "confirm_unrevealed"),
                           support_needed=_asked(form, "confirm_support")), \
        status


@bp.route("/<int:item_id>")
@roles_required(*READERS)
def item(item_id: int) -> tuple[str, int]:
    return _render_item(item_id)


@bp.route("/<int:item_id>/reveal", methods=["POST"])
@roles_required(*READERS)
def reveal(item_id: int) -> Response:
    s = db.session()
    try:
        reveals.reveal(s, staff(), item_id)
    except reveals.RevealError:
        s.rollback()
        abort(404)
    s.commit()
    return redirect(url_for("queue.item", item_id=item_id, _anchor="content"))


@bp.route("/<int:item_id>/claim", methods=["POST"])
@roles_required("moderator")
def claim(item_id: int) -> Response:
    s = db.session()
    try:
        result = claims.claim(s, item_id, staff())
    except claims.ClaimError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.item", item_id=item_id))
    s.commit()
    until = f"{result.expires_at:%H:%M}"
    flash(_("Claim renewed until %(when)s UTC.", when=until) if result.renewed
          else _("You hold this item until %(when)s UTC.", when=until), "success")
    return redirect(url_for("queue.item", item_id=item_id, _anchor="work"))


@bp.route("/<int:item_id>/release", methods=["POST"])
@roles_required("moderator")
def release(item_id: int) -> Response:
    s = db.session()
    claims.release(s, item_id, staff())
    s.commit()
    flash(_("Item released back to the queue."), "info")
    return redirect(url_for("queue.index"))


@bp.route("/next", methods=["POST"])
@roles_required("moderator")
def claim_next() -> Response:
    """The next item: one I hold already, else the next waiting one, claimed for me. With
    `release=<id>` (the item page's "Release and open the next"), that item goes back first."""
    s = db.session()
    release_id = params.parse_int(request.form.get("release"))
    next_id, skipping = loop.release_then_next(s, staff(), release_id, skips=_skips())
    s.commit()
    _keep_skips(skipping)
    if next_id is None:
        flash(_("Nothing is waiting that you can claim."), "info")
        return redirect(url_for("queue.index"))
    return redirect(url_for("queue.item", item_id=next_id, _anchor="work"))


@bp.route("/<int:item_id>/uphold", methods=["POST"])
@roles_required("moderator")
def uphold(item_id: int) -> Response | tuple[str, int]:
    """Uphold the decision under appeal in one action, keeping its statement (+ a note)."""
    form = UpholdForm()
    if not form.validate_on_submit():
        return _render_item(item_id, None, 400, error=_("Check the note (at most 2,000 characters)."),
                            uphold_form=form)
    s = db.session()
    try:
        result = appeal_review.uphold(s, staff(), item_id, int(form.version.data or 0), str(form.note.data or ""),
                                      then_next=request.form.get("then") != "queue",
                                      confirm_unrevealed=bool(form.confirm_unrevealed.data),
                                      confirm_support=bool(form.confirm_support.data), skips=_skips())
    except decisions.DecisionError as exc:
        s.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = [str(exc)]
            for name, message in exc.also.items():
                form[name].errors = [message]
        confirm = isinstance(exc, (decisions.UnrevealedError, decisions.SupportConfirmError))
        return _render_item(item_id, None, 409 if confirm or isinstance(exc, decisions.StaleDecisionError) else 400,
                            error=None if exc.field in form else str(exc), uphold_form=form)
    s.commit()
    loop.enqueue_deliveries(result)
    flash(_("Appeal on item %(id)s answered: the original decision is upheld.", id=item_id), "success")
    if result.next_item_id is not None:
        return redirect(url_for("queue.item", item_id=result.next_item_id, _anchor="work"))
    return redirect(url_for("queue.index"))


@bp.route("/<int:item_id>/skip", methods=["POST"])
@roles_required("moderator")
def skip(item_id: int) -> Response | tuple[str, int]:
    """Skip this item (and, by the reason, its language or category) for this session, then
    open the next item."""
    form = SkipForm()
    if not form.validate_on_submit():
        flash(_("Choose why you are skipping this item and, for a break, the category.")
              if form.reason.data == "break" else _("Choose why you are skipping this item."), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="skip"))
    s = db.session()
    try:
        skipping = skips.skip(s, staff(), item_id, str(form.reason.data), _skips(),
                              category=str(form.category.data or ""))
    except LookupError:
        s.rollback()
        abort(404)
    except skips.SkipError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor="skip"))
    next_id = loop.next_item(s, staff(), skips=skipping)
    s.commit()
    _keep_skips(skipping)
    flash(_("Skipped item %(id)s for this session.", id=item_id), "info")
    if next_id is None:
        flash(_("Nothing else is waiting that you can claim."), "info")
        return redirect(url_for("queue.index"))
    return redirect(url_for("queue.item", item_id=next_id, _anchor="work"))


@bp.route("/skips/clear", methods=["POST"])
@roles_required("moderator")
def clear_skips() -> Response:
    # CSRFProtect checks every POST app-wide; `what` is matched against the list, never trusted.
    _keep_skips(skips.clear(_skips(), str(request.values.get("what", "all"))[:40]))
    flash(_("Your skip list was updated."), "info")
    return redirect(url_for("queue.index"))


def _form_for_errors(item_id: int, form: DecideForm) -> DecideForm:
    """On the (rare) error path, show the appeal form if the item is under appeal."""
    if isinstance(form, AppealDecideForm) or decisions.open_appeal(db.session(), item_id) is None:
        return form
    appeal_form = _decide_form(True, 0)
    appeal_form.validate()
    return appeal_form


@bp.route("/<int:item_id>/decide", methods=["POST"])
@roles_required("moderator")
def decide(item_id: int) -> Response | tuple[str, int]:
    s = db.session()
    # The appeal form is the one that carries an outcome; the service checks the real state.
    appeal = "appeal_outcome" in request.form
    form = _decide_form(appeal, 0)
    if not form.validate_on_submit():
        return _render_item(item_id, _form_for_errors(item_id, form), 400)
    req = decisions.DecisionRequest(
        item_id=item_id, version=int(form.version.data or 0), action=str(form.action.data or ""),
        reason_code=str(form.reason_code.data or ""), facts=str(form.facts.data or ""),
        duration=str(form.duration.data or ""), restriction=str(form.restriction.data or ""),
        appeal_outcome=str(form["appeal_outcome"].data or "") if appeal else None,
        confirm_unrevealed=bool(form.confirm_unrevealed.data), hide_content=bool(form.hide_content.data),
        confirm_support=bool(form.confirm_support.data))
    try:
        unseen = frozenset(i for i in (params.parse_int(v) for v in request.form.getlist("bulk_unseen"))
                           if i is not None)
        result = loop.decide(s, staff(), req, then_next=request.form.get("then") != "queue",
                             apply_to_same_text=bool(form.bulk.data) and not appeal, confirmed_unseen=unseen,
                             skips=_skips())
    except (decisions.StaleDecisionError, decisions.NoClaimError) as exc:
        s.rollback()
        return _render_item(item_id, None, 409, error=str(exc))
    except decisions.DecisionError as exc:
        s.rollback()
        form = _form_for_errors(item_id, form)
        if exc.field and exc.field in form:
            form[exc.field].errors = [str(exc)]
            for name, message in exc.also.items():
                form[name].errors = [message]
            confirm = isinstance(exc, (decisions.UnrevealedError, decisions.SupportConfirmError,
                                       bulk.BulkUnrevealedError))
            return _render_item(item_id, form, 409 if confirm else 400)
        return _render_item(item_id, form, 400, error=str(exc))
    s.commit()
    loop.enqueue_deliveries(result)
    action = _(decisions.ACTION_LABELS[result.result.decision.action])
    flash(ngettext("Decision recorded for item %(id)s and %(num)d item with the same text: %(action)s.",
                   "Decision recorded for item %(id)s and %(num)d items with the same text: %(action)s.",
                   len(result.bulk), id=item_id, action=action) if result.bulk
          else _("Decision recorded for item %(id)s: %(action)s.", id=item_id, action=action), "success")
    if result.next_item_id is not None:
        return redirect(url_for("queue.item", item_id=result.next_item_id, _anchor="work"))
    if request.form.get("then") != "queue":
        flash(_("Nothing else is waiting that you can claim."), "info")
    return redirect(url_for("queue.index"))
