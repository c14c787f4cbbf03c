"""Reviews (SPEC §3): the buyer of a completed order reviews each item once; the store of the
review replies and deletes; platform staff delete; the product page reads live reviews."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog import reviews as reviews_module
from app.catalog.models import Review
from app.catalog.reviews import (
    ReviewFilter,
    all_reviews,
    delete_review,
    item_reviews,
    mask_name,
    product_rating,
    product_reviews,
    reply,
    review_item,
    review_row,
    store_reviews,
)
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.services import confirm_receipt, move_order
from app.ordering.states import OrderStatus
from app.storage import get_storage
from app.stores.profile import thumb_key
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
    store_actor,
)


@dataclass
class Chosen:
    """A chosen file as the form hands it over (werkzeug's FileStorage has these two)."""

    filename: str
    stream: io.BytesIO


def photo(name: str = "p.png", color=(200, 30, 30)) -> Chosen:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    out.seek(0)
    return Chosen(name, out)


def stored_files() -> list[str]:
    root = get_storage().root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def world(app):
    store = make_store(name="椰城小厨")
    product = make_product(store, "海南鸡饭")
    buyer = make_buyer(name="周杰")
    order = place_order(buyer, product)
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    commit()
    return store, product, buyer, order


def buyer_actor(buyer):
    return actor_of(buyer, Role.BUYER)


def count_reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


def test_the_buyer_reviews_an_item_of_a_completed_order(world):
    store, product, buyer, order = world
    item = order.items[0]
    review = review_item(item, 5, "  好吃，分量足  ", [], buyer_actor(buyer))
    commit()
    assert (review.product_id, review.store_id, review.buyer_id) == (product.id, store.id, buyer.id)
    assert review.order_id == order.id and review.stars == 5 and review.text == "好吃，分量足"
    assert item_reviews(order) == {item.id: True}


def test_an_order_not_completed_cannot_be_reviewed(app):
    buyer = make_buyer()
    order = place_order(buyer, make_product(make_store()))
    assert item_reviews(order) == {}
    with pytest.raises(IllegalTransition, match="订单完成后才能评价"):
        review_item(order.items[0], 5, "", [], buyer_actor(buyer))
    assert count_reviews() == 0


def test_only_the_buyer_of_the_order_reviews(world):
    store, _, _, order = world
    other = make_buyer()
    with pytest.raises(Forbidden):
        review_item(order.items[0], 5, "", [], buyer_actor(other))
    with pytest.raises(Forbidden):
        review_item(order.items[0], 5, "", [], store_actor(store.id))


def test_a_second_review_of_the_same_item_answers_with_the_first(world):
    _, _, buyer, order = world
    first = review_item(order.items[0], 4, "第一次", [], buyer_actor(buyer))
    commit()
    second = review_item(order.items[0], 1, "第二次", [], buyer_actor(buyer))
    commit()
    assert second.id == first.id and second.stars == 4
    assert count_reviews() == 1


@pytest.mark.parametrize("stars", [0, 6, -1, None, "5", True])
def test_stars_are_one_to_five(world, stars):
    _, _, buyer, order = world
    with pytest.raises(InvalidInput, match="请选择 1 到 5 星"):
        review_item(order.items[0], stars, "", [], buyer_actor(buyer))


def test_text_is_at_most_500_characters(world):
    _, _, buyer, order = world
    with pytest.raises(InvalidInput, match="不能超过 500 字"):
        review_item(order.items[0], 5, "好" * 501, [], buyer_actor(buyer))
    assert review_item(order.items[0], 5, "好" * 500, [], buyer_actor(buyer)).text == "好" * 500


def test_photos_are_kept_with_thumbnails_under_the_order(world):
    _, _, buyer, order = world
    photos = [photo(f"p{n}.png", (n * 40, 10, 10)) for n in range(6)]
    review = review_item(order.items[0], 5, "", photos, buyer_actor(buyer))
    commit()
    assert len(review.photos) == 6
    assert all(key.startswith(f"reviews/{order.id}/") for key in review.photos)
    assert stored_files() == sorted(k for key in review.photos for k in (key, thumb_key(key)))


def test_seven_photos_are_refused_and_nothing_is_stored(world):
    _, _, buyer, order = world
    photos = [photo(f"p{n}.png") for n in range(7)]
    with pytest.raises(InvalidInput, match="最多 6 张"):
        review_item(order.items[0], 5, "", photos, buyer_actor(buyer))
    db.session.rollback()
    assert stored_files() == [] and count_reviews() == 0


def test_a_file_that_is_not_a_photo_refuses_all_of_them(world):
    _, _, buyer, order = world
    photos = [photo("ok.png"), Chosen("x.jpg", io.BytesIO(b"<script>alert(1)</script>"))]
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        review_item(order.items[0], 5, "", photos, buyer_actor(buyer))
    db.session.rollback()
    assert stored_files() == [] and count_reviews() == 0


def test_the_store_replies_and_replying_again_replaces(world):
    store, _, buyer, order = world
    review = review_item(order.items[0], 3, "一般", [], buyer_actor(buyer))
    owner = actor_of(make_user(Role.STORE_STAFF, store=store))
    reply(review, "  感谢反馈  ", owner)
    assert review.reply == "感谢反馈" and review.replied_at is not None
    reply(review, "已改进口味", owner)
    assert review.reply == "已改进口味"
    with pytest.raises(InvalidInput, match="请填写回复内容"):
        reply(review, "   ", owner)
    with pytest.raises(InvalidInput, match="不能超过 500 字"):
        reply(review, "谢" * 501, owner)


def test_only_the_reviews_store_replies(world):
    _, _, buyer, order = world
    review = review_item(order.items[0], 3, "一般", [], buyer_actor(buyer))
    other_store = actor_of(make_user(Role.STORE_STAFF, store=make_store()))
    for actor in (other_store, buyer_actor(buyer), actor_of(make_user(Role.OPERATOR))):
        with pytest.raises(Forbidden):
            reply(review, "谢谢", actor)


def test_the_store_or_platform_staff_delete_softly_with_who(world):
    store, product, buyer, order = world
    review = review_item(order.items[0], 1, "难吃", [], buyer_actor(buyer))
    with pytest.raises(Forbidden):
        delete_review(review, actor_of(make_user(Role.STORE_STAFF, store=make_store())))
    with pytest.raises(Forbidden):
        delete_review(review, buyer_actor(buyer))
    service = make_user(Role.SERVICE)
    assert delete_review(review, actor_of(service)) is True
    assert review.deleted_at is not None and review.deleted_by == service.id
    assert delete_review(review, actor_of(service)) is False  # a second tap: same outcome
    assert product_reviews(product.id) == []
    assert product_rating(product.id).count == 0


def test_the_product_reads_live_reviews_newest_first_with_the_buyer_masked(app):
    store = make_store()
    product = make_product(store, "椰子鸡")
    for stars, name in ((5, "周杰"), (4, "李"), (2, "")):
        buyer = make_buyer(name=name or "占位")
        if not name:
            buyer.name = ""
        order = place_order(buyer, product)
        move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
        confirm_receipt(order, buyer_actor(buyer))
        review_item(order.items[0], stars, f"{stars} 星", [], buyer_actor(buyer))
    commit()
    shown = product_reviews(product.id)
    assert [r.stars for r in shown] == [2, 4, 5]
    assert [r.buyer for r in shown] == ["匿名买家", "李*", "周*"]
    rating = product_rating(product.id)
    assert (rating.count, rating.average, rating.stars) == (3, 3.7, 4)


def test_mask_name_keeps_only_the_first_character():
    assert mask_name("周杰伦") == "周*"
    assert mask_name(" 王 ") == "王*"
    assert mask_name(None) == "匿名买家"


def test_store_and_platform_lists_filter(world):
    store, product, buyer, order = world
    review = review_item(order.items[0], 2, "太咸了", [], buyer_actor(buyer))
    other_store = make_store()
    other_buyer = make_buyer()
    other_order = place_order(other_buyer, make_product(other_store, "清补凉"))
    move_order(other_order, OrderStatus.SHIPPED, store_actor(other_store.id))
    confirm_receipt(other_order, buyer_actor(other_buyer))
    other = review_item(other_order.items[0], 5, "好", [], buyer_actor(other_buyer))
    commit()

    def ids(query):
        return [review_row(row).id for row in db.session.execute(query)]

    assert ids(store_reviews(store.id)) == [review.id]
    assert ids(store_reviews(store.id, ReviewFilter(stars=5))) == []
    assert ids(store_reviews(store.id, ReviewFilter(replied=False))) == [review.id]
    assert ids(store_reviews(store.id, ReviewFilter(replied=True))) == []
    assert ids(store_reviews(store.id, ReviewFilter(keyword="咸"))) == [review.id]
    assert ids(store_reviews(store.id, ReviewFilter(keyword="鸡饭"))) == [review.id]
    assert ids(store_reviews(store.id, ReviewFilter(keyword="%"))) == []
    assert ids(all_reviews()) == [other.id, review.id]
    assert ids(all_reviews(ReviewFilter(store_id=other_store.id))) == [other.id]
    assert ids(all_reviews(ReviewFilter(stars=2))) == [review.id]


def test_a_twin_that_missed_the_first_review_finds_it_at_the_unique_index(world, monkeypatch):
    """Two taps at the same moment both pass the check; the index lets one row in and the other
    answers with it, photos and all left to the first."""
    _, _, buyer, order = world
    first = review_item(order.items[0], 5, "先到", [], buyer_actor(buyer))
    commit()
    real = reviews_module.review_of_item
    calls = iter([None])
    monkeypatch.setattr(
        reviews_module, "review_of_item", lambda item_id: next(calls, None) or real(item_id)
    )
    twin = review_item(order.items[0], 1, "后到", [photo()], buyer_actor(buyer))
    commit()
    assert twin.id == first.id and twin.stars == 5
    assert count_reviews() == 1
    assert stored_files() == []  # the twin kept no photo
