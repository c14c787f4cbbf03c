"""评价管理 in the store back office: the store's own reviews, filtered; reply and delete them;
another store's review is 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

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


def reviewed(store, product_name: str, stars: int, text: str, buyer_name: str = "周杰") -> Review:
    buyer = make_buyer(name=buyer_name)
    order = place_order(buyer, make_product(store, product_name))
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    review = review_item(order.items[0], stars, text, [], actor_of(buyer, Role.BUYER))
    commit()
    return review


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store, name="王老板")
    commit()
    login(user)
    return user


def test_the_store_sees_its_reviews_with_the_buyer_masked(client, store, owner):
    reviewed(store, "海南鸡饭", 5, "<script>alert(1)</script>好吃")
    reviewed(make_store(), "别家的粉", 1, "别家的评价")
    page = client.get("/store/reviews").get_data(as_text=True)
    assert "海南鸡饭" in page and "★★★★★" in page and "周*" in page and "周杰" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;好吃" in page and "<script>alert" not in page
    assert "别家的评价" not in page


def test_an_empty_list_says_where_reviews_come_from(client, store, owner):
    page = client.get("/store/reviews").get_data(as_text=True)
    assert "还没有评价" in page


def test_filters_by_stars_reply_and_keyword(client, store, owner):
    good = reviewed(store, "海南鸡饭", 5, "鸡肉嫩")
    bad = reviewed(store, "椰子鸡", 2, "太咸了")
    bad.reply = "已调整"
    commit()

    def shown(query: str) -> set[str]:
        page = client.get(f"/store/reviews?{query}", headers=HX).get_data(as_text=True)
        return {text for text in ("鸡肉嫩", "太咸了") if text in page}

    assert shown("stars=5") == {"鸡肉嫩"}
    assert shown("replied=yes") == {"太咸了"}
    assert shown("replied=no") == {"鸡肉嫩"}
    assert shown("q=咸") == {"太咸了"}
    assert shown("q=海南") == {"鸡肉嫩"}
    assert shown("stars=abc&replied=maybe") == {"鸡肉嫩", "太咸了"}
    assert good.id != bad.id
    assert "没有符合条件的评价" in client.get("/store/reviews?stars=3").get_data(as_text=True)


def test_the_store_replies_and_replies_again(client, store, owner):
    review = reviewed(store, "海南鸡饭", 3, "一般")
    answer = client.post(f"/store/reviews/{review.id}/reply?stars=3", data={"reply": "感谢反馈"})
    assert answer.status_code == 303 and answer.location.endswith("/store/reviews?stars=3")
    db.session.refresh(review)
    assert review.reply == "感谢反馈" and review.replied_at is not None

    row = client.post(f"/store/reviews/{review.id}/reply", data={"reply": "已改进"}, headers=HX)
    assert row.status_code == 200 and "已改进" in row.get_data(as_text=True)
    assert f'id="review-{review.id}"' in row.get_data(as_text=True)
    db.session.refresh(review)
    assert review.reply == "已改进"
    # the product page's partial shows it (tests/web/shop/test_reviews.py renders it)


def test_an_empty_or_too_long_reply_is_said_at_its_row(client, store, owner):
    review = reviewed(store, "海南鸡饭", 3, "一般")
    row = client.post(f"/store/reviews/{review.id}/reply", data={"reply": " "}, headers=HX)
    assert row.status_code == 422 and "请填写回复内容" in row.get_data(as_text=True)
    page = client.post(f"/store/reviews/{review.id}/reply", data={"reply": "谢" * 501})
    assert page.status_code == 422 and "回复不能超过 500 字" in page.get_data(as_text=True)
    db.session.refresh(review)
    assert review.reply == ""


def test_the_store_deletes_its_review_after_confirming(client, store, owner):
    review = reviewed(store, "海南鸡饭", 1, "难吃")
    page = client.get("/store/reviews").get_data(as_text=True)
    assert "确定删除这条评价吗" in page  # the confirmation step holds the delete button
    answer = client.post(f"/store/reviews/{review.id}/delete")
    assert answer.status_code == 303
    db.session.refresh(review)
    assert review.deleted_at is not None and review.deleted_by == owner.id
    assert client.post(f"/store/reviews/{review.id}/delete").status_code == 303  # twice: same
    assert "难吃" not in client.get("/store/reviews").get_data(as_text=True)


def test_another_stores_review_is_404(client, store, owner):
    theirs = reviewed(make_store(), "别家的粉", 1, "别家的评价")
    assert client.post(f"/store/reviews/{theirs.id}/reply", data={"reply": "x"}).status_code == 404
    assert client.post(f"/store/reviews/{theirs.id}/delete").status_code == 404
    assert client.post("/store/reviews/2147483648/delete").status_code == 404
    db.session.refresh(theirs)
    assert theirs.deleted_at is None and theirs.reply == ""


def test_a_buyer_cannot_open_the_store_reviews(client, login, app):
    buyer = make_buyer()
    commit()
    login(buyer)
    assert client.get("/store/reviews").status_code == 403
    assert db.session.execute(select(Review)).first() is None
