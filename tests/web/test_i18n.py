"""Chinese first, English on request: the switch, the pages it changes, and the catalog itself."""

from __future__ import annotations

import os
import re
import tempfile

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.accounts.models import Role
from app.config import BASE_DIR
from app.delivery.services import ship_with_assistant
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user, place_order

CATALOG_DIR = BASE_DIR / "app" / "translations" / "en" / "LC_MESSAGES"
PO, MO = CATALOG_DIR / "messages.po", CATALOG_DIR / "messages.mo"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _read_catalog():
    with PO.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module", autouse=True)
def english_catalog():
    """The compiled catalog, as `make translations` builds it (.mo files are not in git).

    Compiled here only when missing or older than the .po, written to a temporary file and
    renamed so a parallel worker never reads half a file.
    """
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        fd, tmp = tempfile.mkstemp(dir=CATALOG_DIR, suffix=".mo")
        with os.fdopen(fd, "wb") as f:
            write_mo(f, _read_catalog())
        os.chmod(tmp, 0o644)
        os.replace(tmp, MO)


@pytest.fixture
def rider(app):
    return make_user(Role.RIDER, name="赵骑手")


@pytest.fixture
def shipped(app):
    """A same-city order shipped by the delivery assistant: a task waits in the rider pool."""
    store = make_store(name="椰城小厨", rider_commission_fen=600)
    owner = make_user(Role.STORE_STAFF, store=store)
    buyer = make_buyer()
    order = place_order(buyer, make_product(store, "宫保鸡丁", price_fen=3200), 2)
    ship_with_assistant(order, actor_of(owner))
    commit()
    return order


def page(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_the_login_page_is_chinese_by_default(client):
    html = page(client, "/login")
    assert 'lang="zh-CN"' in html
    assert "登录" in html and "手机号" in html
    assert ">English</button>" in html


def test_switching_to_english_translates_the_whole_login_page(client):
    answer = client.post("/lang/en", data={"next": "/login"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/login")
    html = page(client, "/login")
    assert 'lang="en"' in html
    assert "Log in" in html and "Phone number" in html and "Password" in html
    # The only Chinese left is the switch back, which names Chinese in its own words.
    assert CJK.findall(html.replace("中文", "")) == []


def test_a_wrong_password_is_refused_in_english(client, rider):
    client.post("/lang/en")
    answer = client.post("/login", data={"phone": rider.phone, "password": "nope-nope"})
    assert answer.status_code == 422
    assert "Wrong phone number or password" in answer.get_data(as_text=True)


def test_the_language_survives_logging_in_and_the_rider_pool_reads_english(
    client, login, rider, shipped
):
    client.post("/lang/en")
    login(rider)
    html = page(client, "/rider/")
    for tab in ("Grab", "My deliveries", "Me"):
        assert f">{tab}</a>" in html
    assert "Order pool" in html and "Waiting for rider" in html
    assert "2 items" in html and "Delivery commission" in html
    assert "椰城小厨" in html  # data stays as the merchant wrote it
    assert "抢单" not in html and "我的配送" not in html


def test_a_rider_flash_and_next_button_read_english(client, login, rider, shipped):
    client.post("/lang/en")
    login(rider)
    task = shipped.delivery_task
    grabbed = client.post(
        f"/rider/tasks/{task.id}/grab", data={"key": "i18n-grab-key-1"}, follow_redirects=True
    )
    html = grabbed.get_data(as_text=True)
    assert "Grabbed!" in html
    assert "Accepted" in html and ">Arrived at store</button>" in html


def test_the_buyer_order_page_shows_english_status_labels(client, login, shipped):
    client.post("/lang/en")
    login(shipped.buyer)
    html = page(client, f"/shop/orders/{shipped.no}")
    assert ">Shipped</span>" in html  # the order status badge
    assert "Out for delivery" in html  # what the buyer reads for a same-city order on its way
    assert "Delivery: Waiting for rider" in html
    assert "Cash on delivery" in html
    assert "Order progress" in html and "(Member)" in html


def test_switching_back_restores_chinese(client, login, rider, shipped):
    client.post("/lang/en")
    login(rider)
    assert "My deliveries" in page(client, "/rider/")
    client.post("/lang/zh_CN")
    html = page(client, "/rider/")
    assert "抢单池" in html and "我的配送" in html and "待接单" in html
    assert "My deliveries" not in html and ">中文</button>" not in html


def test_the_english_catalog_translates_every_message():
    untranslated = [
        m.id for m in _read_catalog() if m.id and (m.fuzzy or not all(_strings(m.string)))
    ]
    assert untranslated == []


def test_every_marked_string_is_in_the_catalog():
    """`make messages` was run after the last UI string was added (same mapping, same keys)."""
    with (BASE_DIR / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    # The keywords `make messages` passes with -k: N_, NP_:1c,2, _l and lazy_gettext.
    extra = {"N_": None, "NP_": ((1, "c"), 2), "_l": None, "lazy_gettext": None}
    keywords = {**DEFAULT_KEYWORDS, **extra}
    found = set()
    for *_, message, _comments, context in extract_from_dir(
        str(BASE_DIR), method_map, options_map, keywords=keywords, callback=None
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    in_catalog = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in _read_catalog()
    }
    assert (None, "登录") in found and ("task action", "配送") in found  # the scan saw both kinds
    assert found - in_catalog == set()


def _strings(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def test_the_catalog_keeps_placeholders_intact():
    placeholder = re.compile(r"%\(\w+\)s")
    for message in _read_catalog():
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        wanted = set(placeholder.findall(msgid))
        for text in _strings(message.string):
            # A singular may drop the count ("Place order"); nothing else may be lost or added.
            assert set(placeholder.findall(text)) <= wanted, msgid
            assert wanted - set(placeholder.findall(text)) <= {"%(num)s"}, msgid
