"""`POST /api/v1/items/<id>/media`: an image sent with a flag (docs/media.md).

The body is the image itself (`Content-Type: image/jpeg|png|gif|webp`, at most the upload
limit). It is kept sealed and unchecked until a worker decodes and re-encodes it in the
sandbox, hashes and matches it, exactly as an image fetched from the media host; so a bomb
costs the web process nothing, and a refused image never loses the flag.
"""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.intake import flags as intake
from c2c_safety.intake.api_auth import api_key_required, json_error
from c2c_safety.intake.views import bp
from c2c_safety.media import intake as media_intake


@bp.route("/items/<int:item_id>/media", methods=["POST"])
@api_key_required("flags:write")
def upload_media(item_id: int) -> tuple[Response, int]:
    limit = current_app.config["C2C"].max_upload_bytes
    too_large = json_error(413, "payload_too_large", f"The image is over the limit of {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        return too_large
    s = db.session()
    item = intake.item_for_client(s, g.api_client, item_id)
    if item is None:
        return json_error(404, "not_found", "No item with this id was flagged by this client.")
    request.max_content_length = limit + 1
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return too_large
    if len(data) > limit:
        return too_large
    try:
        media, new = media_intake.accept_upload(s, item, data, request.mimetype)
    except media_intake.UploadRefusedError as exc:
        s.rollback()
        return json_error(exc.status, exc.code, str(exc))
    if new:
        audit.record(s, "intake.media_received", actor_label=f"api:{g.api_client.name}", target_type="media",
                     target_id=media.id, details={"item_id": item.id, "bytes": len(data)})
    s.commit()
    return jsonify({"media_id": media.id, "item_id": item.id, "status": media.status, "duplicate": not new}), 202
