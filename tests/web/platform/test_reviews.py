"""评价管理 on the platform: every store's reviews, filtered by store and stars; staff delete."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.accounts.models import Role
from app.catalog.models import Review
from app.catalog.reviews import review_item
from app.extensions import db
from app.jobs import commit
from app.ordering.services import confirm_receipt, move_order
from app.ordering.states import OrderStatus
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
    store_actor,
)

HX = {"HX-Request": "true"}


class Chosen:
    def __init__(self, filename: str):
        self.filename = filename
        self.stream = io.BytesIO()
        Image.new("RGB", (200, 200), (10, 120, 40)).save(self.stream, "PNG")
        self.stream.seek(0)


def reviewed(store, stars: int, text: str, photos=()) -> Review:
    buyer = make_buyer(name="李四")
    order = place_order(buyer, make_product(store, "清补凉"))
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    review = review_item(order.items[0], stars, text, list(photos), actor_of(buyer, Role.BUYER))
    commit()
    return review


@pytest.fixture
def operator(app, login):
    user = make_user(Role.OPERATOR, name="平台小王")
    commit()
    login(user)
    return user


def test_the_platform_sees_every_stores_reviews_and_filters(client, operator):
    first, second = make_store(name="椰城小厨"), make_store(name="海甸糖水")
    reviewed(first, 5, "第一家很好")
    reviewed(second, 2, "<img src=x onerror=alert(1)>第二家一般")
    commit()
    page = client.get("/platform/reviews").get_data(as_text=True)
    assert "第一家很好" in page and "第二家一般" in page and "李*" in page and "李四" not in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page

    by_store = client.get(f"/platform/reviews?store={second.id}", headers=HX).get_data(as_text=True)
    assert "第二家一般" in by_store and "第一家很好" not in by_store
    by_stars = client.get("/platform/reviews?stars=5", headers=HX).get_data(as_text=True)
    assert "第一家很好" in by_stars and "第二家一般" not in by_stars
    odd = client.get("/platform/reviews?store=abc&stars=9", headers=HX)
    assert odd.status_code == 200 and "第一家很好" in odd.get_data(as_text=True)


def test_an_empty_list_says_so(client, operator):
    assert "还没有评价" in client.get("/platform/reviews").get_data(as_text=True)


def test_staff_delete_a_review_after_confirming_and_its_photos_go(client, app, login):
    review = reviewed(make_store(), 1, "很差", [Chosen("a.png")])
    service = make_user(Role.SERVICE)
    commit()
    login(service)
    page = client.get("/platform/reviews").get_data(as_text=True)
    assert "确定删除这条评价吗" in page
    visitor = app.test_client()
    assert visitor.get(f"/media/reviews/{review.id}/photos/1").status_code == 200

    answer = client.post(f"/platform/reviews/{review.id}/delete?stars=1")
    assert answer.status_code == 303 and answer.location.endswith("/platform/reviews?stars=1")
    db.session.refresh(review)
    assert review.deleted_at is not None and review.deleted_by == service.id
    assert client.post(f"/platform/reviews/{review.id}/delete").status_code == 303  # twice
    assert "很差" not in client.get("/platform/reviews").get_data(as_text=True)
    assert visitor.get(f"/media/reviews/{review.id}/photos/1").status_code == 404
    assert client.post("/platform/reviews/999999/delete").status_code == 404


def test_store_staff_cannot_use_the_platform_page(client, login):
    store = make_store()
    review = reviewed(store, 1, "很差")
    staff = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(staff)
    assert client.get("/platform/reviews").status_code == 403
    assert client.post(f"/platform/reviews/{review.id}/delete").status_code == 403
    db.session.refresh(review)
    assert review.deleted_at is None
