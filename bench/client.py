"""A small HTTP client for set-up: log in over HTTP, keep the cookies, find the CSRF token."""

from __future__ import annotations

import html
import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r"<input\b[^>]*\bname=\"csrf_token\"[^>]*>", re.IGNORECASE)
VALUE_ATTR = re.compile(r"\bvalue=\"([^\"]*)\"", re.IGNORECASE)
HX_HEADER = re.compile(
    r"&#34;X-CSRFToken&#34;:\s*&#34;([^&]+)&#34;|\"X-CSRFToken\":\s*\"([^\"]+)\""
)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One keep-alive connection with a cookie jar; follows nothing by itself."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> Response:
        sent = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        try:
            self.conn.request(method, path, body=body, headers=sent)
            raw = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()  # the server closed a kept-alive connection: one retry
            self.conn.request(method, path, body=body, headers=sent)
            raw = self.conn.getresponse()
        data = raw.read()
        for header, value in raw.getheaders():
            if header.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Response:
        return self.request("POST", path, form=form, headers=headers)


def find_csrf_token(page: str) -> str | None:
    """The token of a hidden `csrf_token` input, or of the body's `hx-headers`."""
    match = HX_HEADER.search(page)
    if match:
        return html.unescape(match.group(1) or match.group(2))
    for tag in CSRF_INPUT.findall(page):
        value = VALUE_ATTR.search(tag)
        if value:
            return html.unescape(value.group(1))
    return None


class LoginFailed(RuntimeError):
    pass


@dataclass
class Session:
    """A logged-in person: the cookie header to replay and a CSRF token valid for it."""

    phone: str
    cookie: str
    csrf_token: str | None
    landing: str


def log_in(host: str, port: int, phone: str, password: str) -> Session:
    """GET /login for the token, POST the form, then find a token the new session accepts.

    Logging in clears the session, so the token of the login form is no longer valid after it;
    the landing page (hx-headers) or, failing that, the login form fetched again while logged in
    gives one bound to the new session.
    """
    client = Client(host, port)
    try:
        page = client.get("/login")
        if page.status != 200:
            raise LoginFailed(f"GET /login answered {page.status}")
        token = find_csrf_token(page.text)
        if token is None:
            raise LoginFailed("GET /login has no csrf_token input")
        answer = client.post("/login", {"phone": phone, "password": password, "csrf_token": token})
        if answer.status not in (302, 303):
            raise LoginFailed(
                f"POST /login as {phone} answered {answer.status}, not a redirect"
                + (" (rate limited?)" if answer.status == 429 else "")
            )
        landing = urlsplit(answer.location).path or "/"
        token = find_csrf_token(client.get(landing).text)
        if token is None:
            token = find_csrf_token(client.get("/login").text)
        return Session(phone, client.cookie_header, token, landing)
    finally:
        client.close()
