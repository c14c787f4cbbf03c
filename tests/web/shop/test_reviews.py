"""评价 in the storefront: the buyer reviews each item of a completed order from its order page;
the product page's partial shows stars, the masked buyer, photos and the store's reply."""

from __future__ import annotations

import io

import pytest
from flask import render_template
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import Review
from app.catalog.reviews import delete_review, product_rating, product_reviews, reply
from app.extensions import db
from app.jobs import commit
from app.ordering.services import confirm_receipt, move_order
from app.ordering.states import OrderStatus
from app.storage import get_storage
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


def photo(name: str = "p.png", color=(200, 30, 30)) -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    out.seek(0)
    return out, name


def stored_files() -> list[str]:
    root = get_storage().root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def count_reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


def partial(app, **context) -> str:
    """The product page's review partial, as the product page includes it."""
    with app.test_request_context("/shop/"):
        return render_template("shop/_product_reviews.html", **context)


def complete(order, buyer) -> None:
    move_order(order, OrderStatus.SHIPPED, store_actor(order.store_id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    commit()


@pytest.fixture
def buyer(app, login):
    user = make_buyer(name="周杰")
    commit()
    login(user)
    return user


@pytest.fixture
def product(app):
    return make_product(make_store(name="椰城小厨"), "海南鸡饭")


@pytest.fixture
def order(buyer, product):
    order = place_order(buyer, product)
    complete(order, buyer)
    return order


def form_url(order, item_id=None) -> str:
    return f"/shop/orders/{order.no}/items/{item_id or order.items[0].id}/review"


def test_a_completed_order_links_each_item_to_its_review(client, order):
    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert form_url(order) in page and "已评价" not in page

    form = client.get(form_url(order)).get_data(as_text=True)
    assert form.count('type="radio" name="stars"') == 5
    assert 'accept="image/*" multiple' in form and 'name="csrf_token"' in form


def test_an_order_not_completed_shows_no_review_link_and_refuses_one(client, buyer, product):
    order = place_order(buyer, product)
    assert form_url(order) not in client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "订单完成后才能评价" in client.get(form_url(order)).get_data(as_text=True)
    answer = client.post(form_url(order), data={"stars": "5"}, headers=HX)
    assert answer.status_code == 409 and "订单完成后才能评价" in answer.get_data(as_text=True)
    assert count_reviews() == 0


def test_the_buyer_reviews_with_photos_and_the_order_says_reviewed(client, app, order):
    answer = client.post(
        form_url(order),
        data={"stars": "4", "text": "鸡肉嫩", "photos": [photo("a.png"), photo("b.png")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303 and answer.location.endswith(f"/shop/orders/{order.no}")
    review = db.session.execute(select(Review)).scalar_one()
    assert (review.stars, review.text, len(review.photos)) == (4, "鸡肉嫩", 2)
    page = client.get(f"/shop/orders/{order.no}").get_data(as_text=True)
    assert "评价成功" in page and "已评价" in page

    visitor = app.test_client()
    full = visitor.get(f"/media/reviews/{review.id}/photos/1")
    thumb = visitor.get(f"/media/reviews/{review.id}/photos/2?size=thumb")
    assert full.status_code == 200 and full.data.startswith(b"\xff\xd8")
    assert thumb.status_code == 200 and len(thumb.data) < len(full.data)
    assert visitor.get(f"/media/reviews/{review.id}/photos/3").status_code == 404


def test_a_double_submit_keeps_one_review_and_answers_the_same(client, order):
    first = client.post(form_url(order), data={"stars": "5", "text": "好"})
    second = client.post(form_url(order), data={"stars": "1", "text": "再来"})
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert count_reviews() == 1
    assert db.session.execute(select(Review.stars)).scalar_one() == 5
    # the form page now shows the review instead of a second form
    page = client.get(form_url(order)).get_data(as_text=True)
    assert "我的评价" in page and 'name="stars"' not in page


def test_another_buyers_order_and_an_item_of_another_order_are_404(client, buyer, order, product):
    stranger = make_buyer()
    theirs = place_order(stranger, product)
    complete(theirs, stranger)
    assert client.get(form_url(theirs)).status_code == 404
    assert client.post(form_url(theirs), data={"stars": "5"}).status_code == 404
    assert client.get(form_url(order, theirs.items[0].id)).status_code == 404
    assert client.get(form_url(order, 2**31)).status_code == 404
    assert count_reviews() == 0


def test_no_stars_is_said_at_the_form(client, order):
    answer = client.post(form_url(order), data={"text": "好"}, headers=HX)
    assert answer.status_code == 422 and "请选择 1 到 5 星" in answer.get_data(as_text=True)
    answer = client.post(form_url(order), data={"stars": "9"}, headers=HX)
    assert answer.status_code == 422 and "请选择 1 到 5 星" in answer.get_data(as_text=True)
    assert count_reviews() == 0


def test_seven_photos_are_refused_and_nothing_is_stored(client, order):
    answer = client.post(
        form_url(order),
        data={"stars": "5", "photos": [photo(f"p{n}.png") for n in range(7)]},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert answer.status_code == 422 and "最多 6 张" in answer.get_data(as_text=True)
    assert stored_files() == [] and count_reviews() == 0


def test_a_file_that_is_not_an_image_is_refused(client, order):
    fake = (io.BytesIO(b"<script>alert(1)</script>"), "x.jpg")
    answer = client.post(
        form_url(order),
        data={"stars": "5", "photos": [photo(), fake]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422 and "不是有效的图片" in answer.get_data(as_text=True)
    assert stored_files() == [] and count_reviews() == 0


def test_the_product_partial_shows_stars_the_masked_buyer_and_the_reply(
    app, client, order, product
):
    client.post(
        form_url(order),
        data={"stars": "4", "text": "<script>alert(1)</script>好吃", "photos": [photo()]},
        content_type="multipart/form-data",
    )
    review = db.session.execute(select(Review)).scalar_one()
    reply(review, "<b>谢谢</b>惠顾", actor_of(make_user(Role.STORE_STAFF, store=order.store)))
    commit()
    html = partial(
        app,
        reviews=product_reviews(product.id),
        rating=product_rating(product.id),
    )
    assert "★★★★☆" in html and "周*" in html and "周杰" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;好吃" in html and "<script>" not in html
    assert "&lt;b&gt;谢谢&lt;/b&gt;惠顾" in html
    assert f"/media/reviews/{review.id}/photos/1?size=thumb" in html
    assert f'href="/media/reviews/{review.id}/photos/1"' in html


def test_a_deleted_review_vanishes_from_the_product_and_its_photos_404(client, app, order, product):
    client.post(
        form_url(order),
        data={"stars": "1", "text": "不新鲜", "photos": [photo()]},
        content_type="multipart/form-data",
    )
    review = db.session.execute(select(Review)).scalar_one()
    visitor = app.test_client()
    assert visitor.get(f"/media/reviews/{review.id}/photos/1").status_code == 200
    delete_review(review, actor_of(make_user(Role.OPERATOR)))
    commit()
    html = partial(app, reviews=product_reviews(product.id))
    assert "不新鲜" not in html and "暂无评价" in html
    assert visitor.get(f"/media/reviews/{review.id}/photos/1").status_code == 404
    assert visitor.get(f"/media/reviews/{review.id}/photos/1?size=thumb").status_code == 404
