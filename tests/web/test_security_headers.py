"""What every response tells the browser: run no inline code, never be framed, keep the referrer
on this site, sniff no content types, and use the camera and location only on the driver's and
rider's pages. The pages themselves carry no inline script or style, so they work under it
(tests/browser/test_content_security_policy.py watches Chromium apply it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.accounts.models import Role
from app.extensions import db
from app.stores.models import Store
from tests.factories import (
    PASSWORD,
    grant,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)
from tests.support.one_of_everything import build_one_of_everything


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_every_response_carries_the_security_headers(app, client, login):
    answers = {
        "page": client.get("/login"),
        "form error": client.post("/login", data={"phone": "13900000000", "password": "x"}),
        "redirect": client.get("/store/"),
        "not found": client.get("/no-such-page"),
        "stylesheet": client.get("/static/css/app.css"),
    }
    for what, response in answers.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", what
        assert response.headers["Referrer-Policy"] == "same-origin", what
        assert response.headers["X-Frame-Options"] == "DENY", what
        assert "camera=()" in response.headers["Permissions-Policy"], what
        policy = _directives(response)
        assert policy["frame-ancestors"] == "'none'", what
        assert policy["script-src"] == "'self'", what
        assert policy["style-src"] == "'self'", what
        assert policy["object-src"] == "'none'", what
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], what
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"], what


def test_only_phones_on_the_road_use_the_camera_and_the_shop_asks_for_location(app, client, login):
    everyone = make_user(Role.OPERATOR)
    region = make_region()
    grant(everyone, Role.STORE_STAFF, store=make_store())
    for role in (Role.SALES_MANAGER, Role.DRIVER):
        grant(everyone, role, region=region)
    grant(everyone, Role.RIDER)
    grant(everyone, Role.BUYER)
    db.session.commit()
    login(everyone)
    policies = {"login page": client.get("/login").headers["Permissions-Policy"]}
    for portal in ("platform", "store", "sales", "driver", "rider", "shop"):
        response = client.get(f"/{portal}/", follow_redirects=True)
        assert response.status_code == 200, portal
        policies[portal] = response.headers["Permissions-Policy"]

    for where, policy in policies.items():
        on_the_road = where in ("driver", "rider")
        assert ("camera=(self)" in policy) is on_the_road, (where, policy)
        # a buyer may fill an address from where the phone is
        assert ("geolocation=(self)" in policy) is (on_the_road or where == "shop"), (where, policy)
        assert "microphone=()" in policy, (where, policy)
        if not on_the_road:
            assert "camera=()" in policy, (where, policy)


def test_photos_in_object_storage_may_load(app_factory):
    app = app_factory(
        STORAGE_BACKEND="s3", S3_BUCKET="slips", S3_PUBLIC_ENDPOINT_URL="https://oss.example.com"
    )
    images = _directives(app.test_client().get("/login"))["img-src"].split()
    assert images[0] == "'self'"
    assert "https://oss.example.com" in images  # path-style signed URLs
    assert "https://*.oss.example.com" in images  # virtual-hosted (bucket.host) signed URLs


# ---- the pages run under that policy -----------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a Content-Security-Policy without 'unsafe-inline' refuses to run."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name[:2] == "on"]
        self.found += [
            f"{tag} {name}=javascript:"
            for name, value in attrs
            if value and re.match(r"\s*javascript:", value, re.IGNORECASE)
        ]


def _inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_inline_code_finder_finds_inline_code():
    page = '<p style="x"><script>1</script><style></style><a onclick="y" href="javascript:z">'
    assert len(_inline_code(page)) == 5
    assert _inline_code('<script src="/static/js/copy.js" defer></script>') == []


def _pages(app, blueprint: str, ids: dict[str, list]) -> list[str]:
    """Each GET page of the blueprint, opened with the first id the world has for it."""
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, {name: ids[name][0] for name in rule.arguments})
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint}.")
        and "GET" in rule.methods
        and all(name in ids for name in rule.arguments)
    ]


def test_no_page_of_any_portal_has_inline_script_or_style(app, login):
    people = build_one_of_everything()
    (owner, owner_ids), *_ = people["store"]
    store = db.session.get(Store, owner.grants[0].store_id)
    to_ship = place_order(make_buyer(), make_product(store, "椰子鸡"))  # the 发货 choices show
    owner_ids["order_id"].insert(0, to_ship.id)
    db.session.commit()

    pages: dict[str, str] = {"/login": app.test_client().get("/login").get_data(as_text=True)}
    for blueprint, entrants in people.items():
        for person, ids in entrants:
            client = app.test_client()
            assert login(person, PASSWORD, test_client=client).status_code == 303
            for url in _pages(app, blueprint, ids):
                response = client.get(url)
                if response.mimetype == "text/html":
                    pages[f"{person.name} {url}"] = response.get_data(as_text=True)

    assert {where: found for where, html in pages.items() if (found := _inline_code(html))} == {}
    # the pages whose scripts and styles moved to static files were among them
    seen = "".join(pages.values())
    for moved in (
        "js/new-orders.js",
        "js/stepper.js",
        "js/copy.js",
        "choice-inline",
        "sidebar-store",
        'class="choice"',
    ):
        assert moved in seen, moved
