"""Images of flagged items: the blurred preview, revealing one image on purpose, the image itself."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.media import viewing
from c2c_safety.media.forms import RestrictedRevealForm, RevealForm
from models.media import MediaObject

bp = Blueprint("media", __name__, url_prefix="/media")
ROLES = tuple(sorted(viewing.VIEW_ROLES))


def _image(data: bytes, media_type: str) -> Response:
    resp = Response(data, mimetype=media_type)
    # Never kept by the browser or a proxy: the next look is a new, recorded reveal.
    resp.headers["Cache-Control"] = "no-store, private"
    resp.headers["Content-Disposition"] = "inline"
    return resp


@bp.route("/<int:media_id>/preview.jpg")
@roles_required(*ROLES)
def preview(media_id: int) -> Response:
    try:
        data = viewing.preview_bytes(db.session(), staff(), media_id)
    except viewing.MediaAccessError:
        abort(404)
    return _image(data, "image/jpeg")


@bp.route("/<int:media_id>/image")
@roles_required(*ROLES)
def image(media_id: int) -> Response:
    try:
        data, media_type = viewing.image_bytes(db.session(), staff(), media_id)
    except viewing.MediaAccessError:
        abort(404)
    return _image(data, media_type)


@bp.route("/<int:media_id>/reveal", methods=["POST"])
@roles_required(*ROLES)
def reveal(media_id: int) -> Response:
    s = db.session()
    media = s.get(MediaObject, media_id)
    if media is None:
        abort(404)
    item_id = media.item_id
    form = RestrictedRevealForm() if media.restricted else RevealForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        viewing.reveal(s, staff(), media_id, confirmed=bool(getattr(form, "confirm", None) and form.confirm.data),
                       reason=str(form.reason.data or "") if media.restricted else "")
    except viewing.MediaAccessError:
        s.rollback()
        abort(404)
    except ValueError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.item", item_id=item_id, _anchor=f"media-{media_id}"))
    s.commit()
    target = request.form.get("next_anchor", "")
    return redirect(url_for("queue.item", item_id=item_id, _anchor=target if target.startswith("media-") else
                            f"media-{media_id}"))
