"""What the platform does with stores' products: approve (listing as the store chose, a pending
edit applied), reject (a first submission refused, an edit discarded), list, unlist, pin,
delete; one winner of two reviewers; 定时上架 through the deadline sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import Address, Role
from app.catalog.audit import (
    LIST_PRODUCT,
    approve_product,
    delete_product,
    pin,
    platform_list,
    platform_unlist,
    reject_product,
    unpin,
)
from app.catalog.models import AuditStatus, ListingChoice, Product, ProductEvent
from app.clock import travel, utcnow
from app.deadlines import Deadline, sweep
from app.errors import AlreadyTaken, DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart, cart_of
from app.ordering.checkout import place_orders
from app.ordering.models import CartItem, Order
from app.stores.models import Store
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user


@pytest.fixture
def operator(app):
    user = make_user(Role.OPERATOR, name="张运营")
    return actor_of(user)


@pytest.fixture
def service(app):
    return actor_of(make_user(Role.SERVICE, name="李客服"))


def submitted(choice=ListingChoice.ON_APPROVAL, list_at=None, name="椰子汁") -> Product:
    """A store's first save with product audit on: waiting, not on sale."""
    product = make_product(make_store(), name=name, price_fen=500)
    product.audit_status = AuditStatus.PENDING
    product.listed = False
    product.listing_choice = choice
    product.list_at = list_at
    db.session.flush()
    commit()
    return product


def on_sale_with_edit(name="椰子汁") -> Product:
    """A listed product whose store changed title and price under audit."""
    product = make_product(make_store(), name=name, price_fen=500)
    sku = product.skus[0]
    product.pending_changes = {"name": "椰子汁（大瓶）", "skus": {str(sku.id): {"price_fen": 650}}}
    product.audit_status = AuditStatus.PENDING
    db.session.flush()
    commit()
    return product


def kinds(product: Product) -> list[str]:
    return list(
        db.session.scalars(
            select(ProductEvent.kind)
            .where(ProductEvent.product_id == product.id)
            .order_by(ProductEvent.id)
        )
    )


# ---- approve -------------------------------------------------------------------------------


def test_approval_lists_a_product_whose_store_chose_list_on_approval(service):
    product = submitted()
    approve_product(product, service)
    commit()
    assert product.audit_status == AuditStatus.APPROVED and product.listed
    assert kinds(product) == ["approved", "listed"]
    event = db.session.scalars(select(ProductEvent)).first()
    assert event.actor_name == "李客服" and event.actor_role == Role.SERVICE


def test_keep_unlisted_stays_off_sale_after_approval(service):
    product = submitted(ListingChoice.KEEP_UNLISTED)
    approve_product(product, service)
    commit()
    assert product.audit_status == AuditStatus.APPROVED and not product.listed


def test_a_set_time_already_passed_lists_on_approval(service):
    product = submitted(ListingChoice.AT_TIME, list_at=utcnow() - timedelta(hours=1))
    approve_product(product, service)
    commit()
    assert product.listed


def test_a_set_time_to_come_lists_when_the_sweep_reaches_it(service):
    product = submitted(ListingChoice.AT_TIME, list_at=utcnow() + timedelta(days=2))
    approve_product(product, service)
    commit()
    assert not product.listed
    deadline = db.session.scalars(select(Deadline).filter_by(kind=LIST_PRODUCT)).one()
    assert deadline.subject_id == product.id

    sweep()  # not due yet
    db.session.refresh(product)
    assert not product.listed

    with travel(timedelta(days=2, minutes=1)):
        result = sweep()
        again = sweep()
    db.session.refresh(product)
    assert result.applied == 1 and again.applied == 0
    assert product.listed
    assert kinds(product) == ["approved", "listed_on_time"]


def test_the_set_time_does_not_list_a_product_the_platform_unlisted_meanwhile(service):
    product = submitted(ListingChoice.AT_TIME, list_at=utcnow() + timedelta(days=1))
    approve_product(product, service)
    commit()
    platform_unlist(product, "图片涉嫌侵权", service)
    commit()
    with travel(timedelta(days=1, minutes=1)):
        sweep()
    db.session.refresh(product)
    assert not product.listed
    assert kinds(product) == ["approved", "unlisted"]


def test_the_set_time_does_not_list_a_deleted_product(service, operator):
    product = submitted(ListingChoice.AT_TIME, list_at=utcnow() + timedelta(days=1))
    approve_product(product, service)
    commit()
    # the handler itself checks, even if the deadline were still open
    db.session.execute(update(Product).where(Product.id == product.id).values(deleted_at=utcnow()))
    commit()
    with travel(timedelta(days=1, minutes=1)):
        sweep()
    db.session.refresh(product)
    assert not product.listed


def test_approving_an_edit_applies_it_and_the_old_price_sells_until_then(service):
    product = on_sale_with_edit()
    sku = product.skus[0]
    buyer = make_buyer()
    assert product.listed and sku.price_fen == 500 and product.name == "椰子汁"
    add_to_cart(buyer.id, sku.id, 1)
    assert cart_of(buyer.id).groups[0].goods_fen == 500

    approve_product(product, service)
    commit()
    db.session.refresh(sku)
    assert product.name == "椰子汁（大瓶）" and sku.price_fen == 650
    assert not product.pending_changes and product.listed
    assert kinds(product) == ["changes_approved"]


def test_a_second_approval_is_told_somebody_else_reviewed_it(service, operator):
    product = submitted()
    approve_product(product, service)
    commit()
    with pytest.raises(AlreadyTaken, match="该商品已被他人审核"):
        approve_product(product, operator)
    db.session.rollback()
    assert kinds(product) == ["approved", "listed"]


def test_of_two_reviewers_who_read_the_same_product_one_wins(service, operator):
    product = submitted()
    # the other reviewer approves after this one read the row (compare-and-set on the row)
    db.session.execute(
        update(Product)
        .where(Product.id == product.id)
        .values(audit_status=AuditStatus.APPROVED, updated_at=utcnow() + timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(AlreadyTaken, match="该商品已被他人审核"):
        approve_product(product, operator)
    db.session.rollback()
    assert kinds(product) == []


# ---- reject --------------------------------------------------------------------------------


def test_rejecting_a_first_submission_gives_the_store_the_reason(service):
    product = submitted()
    reject_product(product, "  图片模糊，请重新上传  ", service)
    commit()
    assert product.audit_status == AuditStatus.REJECTED
    assert product.audit_reason == "图片模糊，请重新上传" and not product.listed
    event = db.session.scalars(select(ProductEvent)).one()
    assert (event.kind, event.reason) == ("rejected", "图片模糊，请重新上传")


def test_rejecting_an_edit_discards_it_and_the_product_stays_on_sale(service):
    product = on_sale_with_edit()
    reject_product(product, "涨价幅度过大", service)
    commit()
    db.session.refresh(product.skus[0])
    assert product.audit_status == AuditStatus.APPROVED and product.listed
    assert not product.pending_changes
    assert product.name == "椰子汁" and product.skus[0].price_fen == 500
    assert kinds(product) == ["changes_rejected"]


@pytest.mark.parametrize(("reason", "message"), [("  ", "请填写原因"), ("长" * 201, "200")])
def test_a_rejection_needs_a_short_reason(service, reason, message):
    product = submitted()
    with pytest.raises(InvalidInput, match=message):
        reject_product(product, reason, service)


def test_store_staff_and_buyers_cannot_review(app):
    product = submitted()
    store = db.session.get(Store, product.store_id)
    store_staff = actor_of(make_user(Role.STORE_STAFF, store=store))
    for actor in (store_staff, actor_of(make_buyer())):
        with pytest.raises(Forbidden):
            approve_product(product, actor)
        with pytest.raises(Forbidden):
            reject_product(product, "不行", actor)


# ---- list, unlist, pin, delete -------------------------------------------------------------


def test_list_and_unlist_write_who_and_why(service):
    product = submitted(ListingChoice.KEEP_UNLISTED)
    approve_product(product, service)
    assert platform_list(product, service) and product.listed
    assert not platform_list(product, service)  # a double tap lists once
    with pytest.raises(InvalidInput, match="请填写原因"):
        platform_unlist(product, "", service)
    assert platform_unlist(product, "标签不符", service) and not product.listed
    commit()
    assert kinds(product) == ["approved", "listed", "unlisted"]
    assert (
        db.session.scalars(select(ProductEvent.reason).order_by(ProductEvent.id.desc())).first()
        == "标签不符"
    )


def test_a_product_not_approved_cannot_be_listed(service):
    product = submitted()
    with pytest.raises(DomainError, match="审核通过后才能上架"):
        platform_list(product, service)


def test_pin_and_unpin(service):
    product = make_product(make_store())
    assert pin(product, service) and product.pinned_at is not None
    assert not pin(product, service)
    assert unpin(product, service) and product.pinned_at is None
    commit()
    assert kinds(product) == ["pinned", "unpinned"]


def test_only_operators_delete_and_a_deleted_product_is_off_sale_unpinned(service, operator):
    product = make_product(make_store())
    pin(product, service)
    with pytest.raises(Forbidden, match="只有平台运营可以删除商品"):
        delete_product(product, "假冒商品", service)
    assert delete_product(product, "假冒商品", operator)
    commit()
    assert product.deleted_at is not None and not product.listed and product.pinned_at is None
    assert not delete_product(product, "假冒商品", operator)  # twice: once
    with pytest.raises(DomainError, match="该商品已删除"):
        platform_list(product, operator)


# ---- the cart and checkout -----------------------------------------------------------------


def test_an_unlisted_product_in_the_cart_is_marked_and_checkout_refuses_it(service):
    product = make_product(make_store(), name="椰子汁")
    other = make_product(make_store(), name="清补凉")
    buyer = make_buyer()
    add_to_cart(buyer.id, product.skus[0].id, 2)
    add_to_cart(buyer.id, other.skus[0].id, 1)
    commit()
    platform_unlist(product, "质检不合格", service)
    commit()

    cart = cart_of(buyer.id)
    assert [line.sku.product.name for line in cart.unavailable_lines] == ["椰子汁"]
    address = db.session.scalars(select(Address).filter_by(user_id=buyer.id)).first()
    with pytest.raises(DomainError, match="「椰子汁」已下架，请从购物车移除后再结算"):
        place_orders(actor_of(buyer), address, "cod")
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(CartItem)) == 2
