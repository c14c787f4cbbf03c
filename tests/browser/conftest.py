"""Browser tests: the real app on a live local server, driven in Debian's Chromium by Playwright.

Playwright's driver ships in its wheel; the browser is /usr/bin/chromium (never downloaded).
Screenshots are saved under tests/browser/screenshots/<test name>/ for people to look at.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.demo_data import load_demo_data
from app.extensions import db
from app.jobs import commit

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parent / "screenshots"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app_factory):
    """The app with CSRF and rate limits on, demo data loaded, served on a free local port."""
    app = app_factory(
        WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute"
    )
    with app.app_context():
        load_demo_data()
        commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's Chromium is missing: `apt-get install -y chromium` (make test does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Person:
    """One person on their own device: a browser context with its own cookies."""

    def __init__(self, browser, server, shots: Path, who: str, device: dict):
        self.context = browser.new_context(**device)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.server = server
        self.shots = shots
        self.who = who
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def go(self, path: str):
        self.page.goto(self.server.url + path)
        return self.page

    def login(self, phone: str, password: str = "demo1234"):
        self.go("/login")
        self.page.fill("input[name=phone]", phone)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> Path:
        counter = len(list(self.shots.glob("*.png"))) + 1
        path = self.shots / f"{counter:02d}-{self.who}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True, timeout=30_000)
        return path


@pytest.fixture
def people(browser, live_server, request):
    shots = SHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    created: list[Person] = []

    def person(who: str, device: dict = PHONE) -> Person:
        p = Person(browser, live_server, shots, who, device)
        created.append(p)
        return p

    yield person
    for p in created:
        p.context.close()
    assert not [e for p in created for e in p.errors], "JavaScript errors on the page"
