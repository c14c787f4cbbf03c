"""Slip photos are served only to people whose scope, under any of their roles, holds the order."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.jobs import commit
from app.wholesale.services import upload_slips
from tests.factories import actor_of, grant, make_buyer, make_user
from tests.support.wholesale_world import client_of, order_of, png_file, shipped_to


@pytest.fixture
def photo_url(world):
    order = shipped_to(world, order_of(world))
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    commit()
    return f"/media/slips/{photo.id}.jpg"


def test_the_manager_of_the_region_gets_the_jpeg(world, app, photo_url):
    response = client_of(app, world.manager).get(photo_url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data.startswith(b"\xff\xd8")  # re-encoded as JPEG on upload
    assert "private" in response.headers["Cache-Control"]


def test_the_driver_who_delivered_gets_it(world, app, photo_url):
    assert client_of(app, world.driver).get(photo_url).status_code == 200


def test_the_customer_of_the_order_gets_it(world, app, photo_url):
    assert client_of(app, world.buyer).get(photo_url).status_code == 200


def test_a_buyer_of_another_order_gets_404(world, app, photo_url):
    other_buyer = make_buyer(world.haikou)
    commit()
    order_of(world, buyer=other_buyer)
    assert client_of(app, other_buyer).get(photo_url).status_code == 404


def test_the_manager_of_another_region_gets_404(world, app, photo_url):
    sanya_manager = make_user(Role.SALES_MANAGER, region=world.sanya)
    commit()
    assert client_of(app, sanya_manager).get(photo_url).status_code == 404


def test_any_role_of_the_person_counts_not_only_the_current_one(world, app, photo_url):
    shopper = make_buyer(world.haikou)  # logs in as a buyer of nothing...
    grant(shopper, Role.SALES_MANAGER, region=world.haikou)  # ...but also manages 海口
    commit()
    assert client_of(app, shopper).get(photo_url).status_code == 200


def test_a_visitor_gets_404(world, client, photo_url):
    assert client.get(photo_url).status_code == 404


def test_an_unknown_photo_is_404(world, app, photo_url):
    assert client_of(app, world.manager).get("/media/slips/999999.jpg").status_code == 404
