"""Page-level bugs found while reading the foundation, and the shape's promises seen in pages:
a resting store still shows its products, slip photos on every order page that may see them,
refusals in the reader's language, photos shared through S3-compatible storage."""

from __future__ import annotations

import html
import urllib.request

import pytest

from app.accounts.models import Role
from app.delivery.models import TaskStatus
from app.delivery.services import ship_with_assistant
from app.extensions import db
from app.jobs import commit
from app.stores.models import BusinessStatus
from app.web.portals import PORTALS
from app.wholesale.services import upload_slips
from tests.factories import (
    PASSWORD,
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
    store_actor,
)
from tests.support.object_storage import fresh_bucket_settings, moto_server
from tests.support.wholesale_world import build_world, client_of, order_of, png_file, shipped_to

HX = {"HX-Request": "true"}


# ---- SPEC §2: a resting store shows "商家休息中" on its products and refuses purchase ----------


def test_a_resting_store_shows_its_products_but_sells_nothing(client, login, app):
    buyer = make_buyer()
    store = make_store(name="椰城小厨", business_status=BusinessStatus.RESTING)
    product = make_product(store, "清补凉")
    commit()
    login(buyer)

    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    answer = client.post(
        "/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 1}, headers=HX
    )

    assert "清补凉" in page and "商家休息中" in page
    assert "加入购物车" not in page
    assert answer.status_code == 409 and "商家休息中" in answer.get_data(as_text=True)


def test_a_store_closed_for_the_day_hides_its_products(client, login, app):
    store = make_store(business_status=BusinessStatus.CLOSED_TODAY)
    make_product(store, "清补凉")
    commit()
    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert "该商户已打烊，看看其他吧" in page and "清补凉" not in page


# ---- the signed-slip photos reach the platform's and the buyer's order pages -----------------


@pytest.fixture
def slipped(app):
    world = build_world()
    order = shipped_to(world, order_of(world))
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    commit()
    return world, order, f"/media/slips/{photo.id}.jpg"


def test_the_platform_order_page_shows_the_slip_photo(app, slipped):
    world, order, photo_url = slipped
    operator = make_user(Role.OPERATOR)
    commit()
    browser = client_of(app, operator)
    page = browser.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert f'href="{photo_url}"' in page  # the thumbnail opens the photo
    assert f'src="{photo_url.removesuffix(".jpg")}/thumb.jpg"' in page
    assert browser.get(photo_url).status_code == 200


def test_the_buyer_order_page_shows_the_slip_photo_the_buyer_may_open(app, slipped):
    world, order, photo_url = slipped
    browser = client_of(app, world.buyer)
    page = browser.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert f'href="{photo_url}"' in page  # the thumbnail opens the photo
    assert f'src="{photo_url.removesuffix(".jpg")}/thumb.jpg"' in page
    assert browser.get(photo_url).data.startswith(b"\xff\xd8")


def test_an_order_without_slips_shows_no_slip_section(app):
    world = build_world()
    order = order_of(world)
    page = client_of(app, world.buyer).get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "/media/slips/" not in page


# ---- refusals in the reader's language --------------------------------------------------


def test_a_pack_size_refusal_reads_english_with_the_products_name(client, login, app):
    buyer = make_buyer()
    product = make_product(make_store(), "椰子汁 1L", min_order_qty=12)
    commit()
    client.post("/lang/en")
    login(buyer)
    answer = client.post(
        "/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 5}, headers=HX
    )
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert '"椰子汁 1L" is sold in multiples of 12' in text
    assert "整数倍" not in text


def test_an_illegal_move_reads_english_with_translated_statuses(app, slipped):
    world, order, _photo_url = slipped  # completed by the driver's slip
    service = make_user(Role.SERVICE)
    commit()
    browser = client_of(app, service)
    browser.post("/lang/en")
    answer = browser.post(
        f"/platform/orders/{order.id}/confirm", headers=HX
    )  # a completed order cannot be confirmed again
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409
    assert 'The status is "Completed"; it cannot change to "To ship"' in text


def test_a_permission_refusal_is_403_not_an_illegal_move(app):
    service = make_user(Role.SERVICE)  # customer service may look, only an operator may renew
    commit()
    browser = client_of(app, service)
    answer = browser.post("/platform/delivery/code", data={"confirm": "y"}, headers=HX)
    assert answer.status_code == 403
    assert "只有平台运营可以重新生成授权码" in answer.get_data(as_text=True)


# ---- photos on S3-compatible storage, shared by several app servers ------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_app(app_factory, moto_endpoint):
    app = app_factory(**fresh_bucket_settings(moto_endpoint))
    with app.app_context():
        yield app
        db.session.remove()


def test_a_slip_uploaded_by_one_server_is_served_by_another_through_a_signed_url(
    s3_app, app_factory
):
    world = build_world()
    order = shipped_to(world, order_of(world))
    driver = client_of(s3_app, world.driver)
    stream, name = png_file()
    answer = driver.post(f"/driver/orders/{order.id}/slips", data={"photos": [(stream, name)]})
    assert answer.status_code == 303
    photo_url = f"/media/slips/{order.fulfilment.slips[0].id}.jpg"

    second_server = app_factory(**{k: s3_app.config[k] for k in s3_app.config if k[:3] == "S3_"})
    second_server.config["STORAGE_BACKEND"] = "s3"
    served = client_of(second_server, world.buyer).get(photo_url)

    assert served.status_code == 302
    assert "X-Amz-Signature" in served.location and "X-Amz-Expires=300" in served.location
    with urllib.request.urlopen(served.location, timeout=5) as fetched:
        assert fetched.read().startswith(b"\xff\xd8")


def test_a_stranger_gets_no_signed_url(s3_app):
    world = build_world()
    order = shipped_to(world, order_of(world))
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    commit()
    stranger = make_buyer()
    commit()
    answer = client_of(s3_app, stranger).get(f"/media/slips/{photo.id}.jpg")
    assert answer.status_code == 404 and "Location" not in answer.headers


# ---- assigning is the delivery domain's decision -------------------------------------------


def test_a_dispatcher_cannot_hand_a_grab_mode_pool_task_to_a_rider(app):
    store = make_store()
    order = place_order(make_buyer(), make_product(store))
    task = ship_with_assistant(order, store_actor(store.id))  # grab mode: it goes to the pool
    rider = make_user(Role.RIDER, name="赵骑手")
    dispatcher = make_user(Role.DISPATCHER)
    commit()
    browser = client_of(app, dispatcher)

    answer = browser.post(f"/dispatch/tasks/{task.id}/assign", data={"rider_id": rider.id})

    db.session.refresh(task)
    assert answer.status_code == 409
    assert "该配送单为抢单模式，由骑手抢单，不能指派" in answer.get_data(as_text=True)
    assert (task.status, task.rider_id) == (TaskStatus.WAITING, None)


# ---- one registry of portals: who enters where ---------------------------------------------


@pytest.mark.parametrize("portal", sorted(PORTALS))
def test_each_role_lands_on_its_portal_and_only_its_roles_enter(app, portal):
    region = make_region()
    store = make_store()
    people = {
        role: make_user(role, store=store if role == Role.STORE_STAFF else None, region=region)
        for role in Role
    }
    commit()
    for role, person in people.items():
        browser = app.test_client()
        landed = browser.post("/login", data={"phone": person.phone, "password": PASSWORD})
        answer = browser.get(f"/{portal}/")
        if role in PORTALS[portal].roles:
            assert landed.location.startswith(f"/{portal}/"), (role, landed.location)
            assert answer.status_code in (200, 303), (role, portal)
        elif not PORTALS[portal].visitors:
            assert answer.status_code == 403, (role, portal)


# ---- a refusal goes back only to a page of this site ----------------------------------------


@pytest.mark.parametrize(
    "referer",
    ["https://evil.example/phish", "//evil.example/x", "http://localhost/" + "a" * 5000],
)
def test_a_refusal_never_redirects_to_another_host_or_echoes_a_huge_referer(app, referer):
    world = build_world()
    order = order_of(world)
    shipped_to(world, order)
    browser = client_of(app, world.manager)
    answer = browser.post(f"/sales/orders/{order.id}/confirm", headers={"Referer": referer})
    assert answer.status_code == 409  # the message on a page of its own, not a redirect
    assert "Location" not in answer.headers


def test_a_refusal_goes_back_to_the_page_it_came_from_on_this_site(app):
    world = build_world()
    order = shipped_to(world, order_of(world))
    browser = client_of(app, world.manager)
    page = f"http://localhost/sales/orders/{order.id}"
    answer = browser.post(f"/sales/orders/{order.id}/confirm", headers={"Referer": page})
    assert answer.status_code == 303 and answer.location == f"/sales/orders/{order.id}"


@pytest.mark.parametrize(
    "path", ["/platform/reviews/1/delete", "/store/reviews/1/delete", "/platform/stores"]
)
def test_a_huge_filter_value_is_not_echoed_into_the_answer(client, login, path):
    """Found by the fuzz test: a delete kept the list's filters by copying the query string,
    so a 5,000-character `stars` came back in a 45 KB Location header."""
    from tests.factories import make_store, make_user

    role = Role.STORE_STAFF if path.startswith("/store") else Role.OPERATOR
    person = make_user(role, store=make_store()) if role == Role.STORE_STAFF else make_user(role)
    commit()
    login(person)
    huge = {"stars": "长" * 5000, "q": "长" * 5000, "status": "长" * 5000}

    if path.endswith("/delete"):
        answer = client.post(path, query_string=huge)
    else:
        answer = client.get(path, query_string=huge)

    assert answer.status_code < 500
    assert len(answer.headers.get("Location", "")) < 2048
    assert "长" * 100 not in answer.get_data(as_text=True)
