"""Plain answers for refused actions and missing pages, as a page or an HTMX fragment."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import DomainError
from app.i18n_markers import N_
from app.web.i18n import translate
from app.web.order_view import render_message
from app.web.unit_of_work import discard_work

PAGE_MESSAGES = {
    403: N_("您没有访问该页面的权限"),
    404: N_("页面不存在，或您无权查看"),
    429: N_("操作太频繁，请稍后再试"),
}
MAX_BACK_URL = 1024
UPLOAD_TOO_LARGE = N_("上传的文件太大了，请少选几张照片，分几次上传")
PAGE_EXPIRED = N_("页面已过期，请刷新后重试")
SESSION_ENDED = N_("登录已失效，请重新登录")


def _answer(message: str, status: int, swap: str = "innerHTML"):
    """`message` is already in the reader's language; `swap` is how htmx puts it in #flash."""
    if request.htmx:
        # A fragment for the flash area; htmx is configured to swap 4xx answers (see base.html).
        html = render_template("components/flash_fragment.html", message=message, category="error")
        return html, status, {"HX-Retarget": "#flash", "HX-Reswap": swap}
    back = _page_it_came_from()
    if request.method == "POST" and status in (409, 422, 413, 400) and back:
        flash(message, "error")
        return redirect(back, code=303)
    return render_template("error.html", message=message, status=status), status


def _page_it_came_from() -> str | None:
    """The Referer as a path of this site, to go back to with the message; never another host
    (an open redirect) and never a huge header echoed back."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if (
        len(referrer) > MAX_BACK_URL
        or parts.netloc != request.host
        or not parts.path.startswith("/")
    ):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _session_ended():
    """A form sent after this person's session ended (it timed out, or they logged out in
    another tab): nothing to refresh, they log in again and come back to the page."""
    back = _page_it_came_from()
    login_url = url_for("auth.login", next=back) if back else url_for("auth.login")
    message = translate(SESSION_ENDED)
    if request.htmx:
        link = Markup('{} <a href="{}">{}</a>').format(message, login_url, translate(N_("去登录")))
        return _answer(link, 400, swap="innerHTML show:window:top")  # a phone's form is far below
    if request.method == "POST":
        flash(message, "error")
        return redirect(login_url, code=303)
    return _answer(message, 400)


def commit_failed():
    """The commit at the end of the request failed (a constraint a concurrent request won)."""
    discard_work()
    return _answer(translate(N_("保存失败，数据已被他人更新，请刷新后重试")), 409)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        discard_work()  # nothing of the refused action is kept, whatever the answer's status
        return _answer(render_message(error.msg), error.status_code)

    @app.errorhandler(RequestEntityTooLarge)
    def upload_too_large(error: RequestEntityTooLarge):
        # Refused while the form was read, so nothing of it is kept. The flash area is at the top
        # of the page, a phone's upload form far below it: htmx scrolls up to the message.
        discard_work()
        return _answer(translate(UPLOAD_TOO_LARGE), 413, swap="innerHTML show:window:top")

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Still logged in: only this form is stale. Logged out (and not on the login pages
        # themselves): the session ended, and refreshing would not help.
        if not current_user.is_authenticated and request.blueprint != "auth":
            return _session_ended()
        return _answer(translate(PAGE_EXPIRED), 400)

    for status, message in PAGE_MESSAGES.items():
        app.register_error_handler(status, lambda e, m=message, s=status: _answer(translate(m), s))
