"""The anonymous reporting channel: `/report` and `/report/follow-up`.

No account, no JavaScript, no cookie, no client address. These routes are exempt from
flask-wtf's CSRF (which keeps its token in the session cookie) and carry a stateless signed
token in a hidden field instead (see tokens.py).

Anonymous report and follow-up pages. Thin: check the form, call one service, commit, render.

Nothing here reads or logs the client address or user agent, touches the session, or sets
a cookie. The language comes from `?lang=` (kept in every link and form action) or the
browser's Accept-Language, never from a cookie. The receipt travels only in POST bodies.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from flask import Blueprint, make_response, redirect, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from c2c_safety.core import db, params, uploads
from c2c_safety.core.queueing import enqueue
from c2c_safety.core.web import csrf
from c2c_safety.report import codes, downloads, helplines, pages, reports, texts, tokens
from c2c_safety.report.filters import user_text
from c2c_safety.report.forms import ReplyForm, ReportForm, chosen_files, file_errors
from c2c_safety.review import policy
from models import CaseFile, CaseMessage

log = logging.getLogger(__name__)
bp = Blueprint("report", __name__)
csrf.exempt(bp)
bp.add_app_template_filter(user_text, "user_text")  # app-wide: staff pages use it too
bp.add_app_template_filter(reports.meeting_due, "meeting_due")  # the case page shows the request's deadline

MAX_REQUEST = uploads.MAX_FILES * uploads.MAX_FILE_BYTES + 1024 * 1024
Page = tuple[str, int] | Response


@bp.before_request
def _limits() -> None:
    # Room for five full-size files; each file is then checked on its own.
    request.max_content_length = MAX_REQUEST


@bp.after_request
def _no_session(resp: Response) -> Response:
    # Belt and braces: whatever touched the session, these pages never send a session cookie.
    session.modified = False
    return resp


def _lang() -> str:
    return pages.pick_lang()


def _render(template: str, lang: str, status: int = 200, **ctx: Any) -> tuple[str, int]:
    # The shared reporter layout (language, quick exit): report/pages.py.
    return pages.render(template, lang, status, categories=reports.CATEGORIES, child_first=reports.CHILD_FIRST,
                        for_adults=reports.FOR_ADULTS, about_choices=reports.ABOUT, age_bands=reports.AGE_BANDS,
                        meetings=reports.MEETINGS, labels=texts.labels(), **ctx)


def _target_hours() -> int:
    # What the receipt and status page promise a child: the safeguarding desk's first-look target.
    return policy.safeguarding_target_hours(db.session())


def _notice(lang: str, title: str, message: str, status: int, **values: Any) -> tuple[str, int]:
    return _render("report/notice.html", lang, status, title=title, message=message, values=values)


def _cross_site() -> bool:
    # Browsers say where a request comes from; a post from another site is not our form.
    # (Origin is "null" on these pages because of Referrer-Policy: no-referrer.)
    return request.headers.get("Sec-Fetch-Site") == "cross-site"


def _clean_files() -> tuple[list[uploads.CleanFile], list[tuple[str, dict[str, object]]], bool]:
    chosen = chosen_files(request.files)
    good, refused = uploads.clean_uploads([(f.filename or "", f.stream) for f in chosen])
    return good, file_errors(refused), bool(chosen)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    return _notice(_lang(), texts.TOO_LARGE_TITLE, texts.TOO_LARGE, 413,
                   mb=MAX_REQUEST // (1024 * 1024) - 1)


@bp.get("/report/leave")
def leave() -> Response:
    """The quick exit without JavaScript: a redirect to the neutral site (no-store, like every
    page here), so the history holds the neutral site where the button was pressed and a Back
    re-asks the desk for an empty form instead of showing what was typed."""
    return redirect(pages.exit_url(), 303)


def _report_token(lang: str) -> str:
    # The code this report will get travels sealed in the form's token (tokens.py), so a
    # reload of the receipt page can show it again without the desk storing it anywhere.
    return tokens.issue("report", secret=reports.new_receipt(lang))


@bp.get("/report/help")
def help_page() -> tuple[str, int]:
    """Helplines by country (report/helplines.py): the one for the chosen or suggested
    country first, then all of them. Nothing about the choice is kept."""
    return _render("report/help.html", _lang(), all_helplines=helplines.all_countries(),
                   default_helpline=helplines.directory().default)


@bp.get("/report")
def form() -> tuple[str, int]:
    lang = _lang()
    return _render("report/form.html", lang, form=ReportForm(), token=_report_token(lang))


def _sent_again(lang: str, token: tokens.TokenCheck) -> tuple[str, int]:
    """The same form posted again: a reload of the receipt page, or a restored tab. Within the
    stated window the reporter gets their code again; the report is never made twice."""
    if token.secret and tokens.used_within(token.nonce, tokens.RECEIPT_AGAIN_SECONDS):
        case = reports.find_case(db.session(), token.secret)
        if case is not None:
            return _render("report/receipt.html", lang, receipt=codes.display(token.secret),
                           view=reports.status_view(case), again=True, token=tokens.issue("follow-up"),
                           target_hours=_target_hours())
    return _notice(lang, texts.RECEIPT_TITLE, texts.ALREADY_SENT, 409,
                   minutes=tokens.RECEIPT_AGAIN_SECONDS // 60)


@bp.post("/report")
def submit() -> tuple[str, int]:
    lang = _lang()
    if _cross_site():
        return _notice(lang, texts.CROSS_SITE_TITLE, texts.CROSS_SITE, 403)
    form = ReportForm.parse(request.form)
    token = tokens.check(request.form.get("form_token", ""), "report")
    if not token.ok:
        return _render("report/form.html", lang, 400, form=form, token=_report_token(lang),
                       notice=texts.FORM_EXPIRED)
    if tokens.already_used(token.nonce):
        return _sent_again(lang, token)
    if not form.valid:
        # Files are not checked for a form that goes back to the reporter: they choose them again.
        return _render("report/form.html", lang, 400, form=form, token=_report_token(lang),
                       reselect=bool(chosen_files(request.files)))
    if not tokens.claim(token.nonce):  # the same form, posted twice at once
        return _sent_again(lang, token)
    # The reporter's words are committed before any file is opened: a file that is refused,
    # slow, or takes its checking sandbox down costs that file, never the report.
    try:
        submitted = reports.submit_report(db.session(), form.to_input(lang), [], receipt=token.secret)
        db.session().commit()
    except BaseException:
        tokens.release(token.nonce)  # not saved: sending again must work
        raise
    enqueue("workers.scoring.score_cases", [submitted.case.id])
    refused = _attach_files(submitted.case)
    return _render("report/receipt.html", lang, receipt=codes.display(submitted.receipt),
                   view=reports.status_view(submitted.case), refused=refused, token=tokens.issue("follow-up"),
                   target_hours=_target_hours())


def _attach_files(case: CaseFile, message: CaseMessage | None = None) -> list[tuple[str, dict[str, object]]]:
    """Check the request's files in the sandbox and attach the good ones; the refusals, to show."""
    files, refused, _ = _clean_files()
    if not files:
        return refused
    s = db.session()
    try:
        reports.attach_reporter_files(s, case, files, message=message)
        s.commit()
        # Committed first: the images are hashed and matched by a worker (docs/media.md); the
        # media job's periodic sweep covers a Redis outage.
        enqueue("workers.media_reports.hash_case_images", case.id)
    except SQLAlchemyError as exc:
        # The report is already saved and the reporter must still see their receipt.
        s.rollback()
        log.error("attaching reporter files to case %s failed: %s", case.id, type(exc).__name__)
        refused = refused + [(texts.FILE_REFUSALS["not_saved"], {"name": f.filename}) for f in files]
    return refused


@bp.get("/report/follow-up")
def follow_up() -> tuple[str, int]:
    return _render("report/follow_up.html", _lang(), token=tokens.issue("follow-up"))


def _status(lang: str, case: CaseFile, receipt: str, status: int = 200, **ctx: Any) -> tuple[str, int]:
    return _render("report/status.html", lang, status, view=reports.status_view(case), receipt=receipt,
                   can_reply=reports.can_reply(case), token=tokens.issue("follow-up"), target_hours=_target_hours(),
                   reply=ctx.pop("reply", ReplyForm()), **ctx)


@bp.post("/report/follow-up")
def follow_up_post() -> Page:
    lang = _lang()
    if _cross_site():
        return _notice(lang, texts.CROSS_SITE_TITLE, texts.CROSS_SITE, 403)
    token = tokens.check(request.form.get("form_token", ""), "follow-up")
    if not token.ok:
        return _render("report/follow_up.html", lang, 400, token=tokens.issue("follow-up"),
                       notice=texts.FORM_EXPIRED)
    raw = request.form.get("receipt", "")
    if reports.normalise_receipt(raw) is None:
        return _render("report/follow_up.html", lang, 400, token=tokens.issue("follow-up"),
                       error=texts.ERR_RECEIPT_FORMAT)
    case = reports.find_case(db.session(), raw)
    if case is None:
        reports.record_miss()
        return _render("report/follow_up.html", lang, 401, token=tokens.issue("follow-up"),
                       error=texts.ERR_RECEIPT_WRONG)
    receipt = reports.normalise_receipt(raw) or ""
    if request.form.get("action") == "receipt":
        # The receipt page's language switch: the same receipt page, in the language chosen.
        return _render("report/receipt.html", lang, receipt=codes.display(receipt), view=reports.status_view(case),
                       token=tokens.issue("follow-up"), target_hours=_target_hours())
    if request.form.get("action") != "reply":
        return _status(lang, case, receipt)
    if tokens.already_used(token.nonce):
        return _status(lang, case, receipt, 409, notice=texts.ALREADY_SENT,
                       notice_values={"minutes": tokens.RECEIPT_AGAIN_SECONDS // 60})
    chose_files = bool(chosen_files(request.files))
    reply = ReplyForm.parse(request.form, chose_files)
    if not reply.valid or not reports.can_reply(case):
        return _status(lang, case, receipt, 400, reply=reply, reselect=chose_files)
    s = db.session()
    if reply.message.strip():
        # As for a report: the words first, then the files.
        message = reports.add_reporter_message(s, case, reply.message, [])
        s.commit()
        tokens.mark_used(token.nonce)
        return _status(lang, case, receipt, sent=True, refused=_attach_files(case, message))
    files, refused, _ = _clean_files()
    if not files:
        reply.files = refused
        return _status(lang, case, receipt, 400, reply=reply)
    # Files only: no words to lose, so message and files go in one transaction.
    reports.add_reporter_message(s, case, "", files)
    s.commit()
    tokens.mark_used(token.nonce)
    return _status(lang, case, receipt, sent=True, refused=refused)


@bp.post("/report/follow-up/file")
def download() -> Page:
    """A file the desk sent, from the status page's download button: a POST carrying the
    receipt (never in the URL), answered as a download that no cache keeps."""
    lang = _lang()
    if _cross_site():
        return _notice(lang, texts.CROSS_SITE_TITLE, texts.CROSS_SITE, 403)
    token = tokens.check(request.form.get("form_token", ""), "follow-up")
    if not token.ok:
        return _render("report/follow_up.html", lang, 400, token=tokens.issue("follow-up"),
                       notice=texts.FORM_EXPIRED)
    raw = request.form.get("receipt", "")
    case = reports.find_case(db.session(), raw) if reports.normalise_receipt(raw) is not None else None
    if case is None:
        reports.record_miss()
        return _render("report/follow_up.html", lang, 401, token=tokens.issue("follow-up"),
                       error=texts.ERR_RECEIPT_WRONG)
    file_id = params.parse_int(request.form.get("file", ""))
    s = db.session()
    found = downloads.open_for_reporter(s, case, file_id) if file_id is not None else None
    if found is None:
        return _status(lang, case, reports.normalise_receipt(raw) or "", 404, notice=texts.FILE_GONE)
    s.commit()
    media_type, name, data = found
    resp = make_response(data)
    resp.headers["Content-Type"] = media_type + ("; charset=utf-8" if media_type == "text/plain" else "")
    ascii_name = "".join(ch for ch in name if ch.isascii() and (ch.isalnum() or ch in "._- "))[:100].strip()
    resp.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name or "attachment"}"; '
                                           f"filename*=UTF-8''{quote(name[:100])}")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
