"""The platform's 商品管理: the review queue with tabs, counts and filters, one product with its
pending edit and trail, approve / reject / list / unlist / pin / delete from the page; who may
enter; what buyers see once a product is taken off sale (the cart says 已下架, checkout refuses);
product pictures for whom."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Address, Role
from app.catalog.audit import platform_unlist
from app.catalog.models import AuditStatus, ListingChoice, Product, ProductEvent
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.models import CartItem, Order
from app.storage import get_storage
from app.stores.models import Store
from tests.factories import actor_of, make_buyer, make_product, make_store, make_user
from tests.support.wholesale_world import client_of

HX = {"HX-Request": "true"}


@pytest.fixture
def operator_user(app):
    user = make_user(Role.OPERATOR, name="张运营")
    commit()
    return user


@pytest.fixture
def operator(app, operator_user):
    return client_of(app, operator_user)


@pytest.fixture
def service(app):
    user = make_user(Role.SERVICE, name="李客服")
    commit()
    return client_of(app, user)


def submitted(store=None, name="椰子汁", choice=ListingChoice.ON_APPROVAL) -> Product:
    product = make_product(store or make_store(name="椰风小店"), name=name, price_fen=500)
    product.audit_status = AuditStatus.PENDING
    product.listed = False
    product.listing_choice = choice
    db.session.flush()
    commit()
    return product


def with_edit(name="清补凉") -> Product:
    product = make_product(make_store(name="甜品店"), name=name, price_fen=800)
    sku = product.skus[0]
    product.pending_changes = {"name": "清补凉（大份）", "skus": {str(sku.id): {"price_fen": 990}}}
    product.audit_status = AuditStatus.PENDING
    db.session.flush()
    commit()
    return product


# ---- the list ------------------------------------------------------------------------------


def test_the_queue_shows_products_waiting_with_counts_per_tab(service):
    submitted(name="椰子汁")
    with_edit("清补凉")
    make_product(make_store(), name="海南鸡饭")
    rejected = submitted(name="假货")
    rejected.audit_status = AuditStatus.REJECTED
    commit()

    page = service.get("/platform/products").get_data(as_text=True)

    assert "椰子汁" in page and "清补凉" in page and "修改待审核" in page
    assert "海南鸡饭" not in page  # on sale, nothing to review
    assert "待审核 (2)" in page and "已上架 (2)" in page and "已拒绝 (1)" in page
    assert "全部 (4)" in page
    listed = service.get("/platform/products?tab=listed").get_data(as_text=True)
    assert "海南鸡饭" in listed and "清补凉" in listed and "椰子汁" not in listed


def test_filters_by_store_and_keyword_narrow_the_list(service):
    kitchen = make_store(name="椰城小厨")
    submitted(kitchen, name="海南鸡饭")
    submitted(name="椰子汁")

    by_store = service.get(f"/platform/products?tab=all&store={kitchen.id}").get_data(as_text=True)
    by_word = service.get("/platform/products?tab=all&q=椰子", headers=HX).get_data(as_text=True)

    assert "海南鸡饭" in by_store and "椰子汁" not in by_store
    assert "椰子汁" in by_word and "海南鸡饭" not in by_word and "<html" not in by_word


def test_an_empty_queue_says_what_happens_next(service):
    page = service.get("/platform/products").get_data(as_text=True)
    assert "没有待审核的商品" in page


def test_store_staff_and_buyers_are_kept_out(app):
    product = submitted()
    staff = make_user(Role.STORE_STAFF, store=db.session.get(Store, product.store_id))
    commit()
    browser = client_of(app, staff)
    assert browser.get("/platform/products").status_code == 403
    assert browser.get(f"/platform/products/{product.id}").status_code == 403
    assert browser.post(f"/platform/products/{product.id}/approve").status_code == 403
    db.session.refresh(product)
    assert product.audit_status == AuditStatus.PENDING


def test_an_unknown_product_is_404(service):
    assert service.get("/platform/products/999999").status_code == 404
    assert service.post("/platform/products/999999/approve").status_code == 404
    assert service.get(f"/platform/products/{2**31}").status_code == 404


# ---- one product ---------------------------------------------------------------------------


def test_the_page_shows_the_pending_edit_as_old_and_new(service):
    product = with_edit()
    page = service.get(f"/platform/products/{product.id}").get_data(as_text=True)
    assert "待审核的修改" in page
    assert "清补凉（大份）" in page and "￥8.00" in page and "￥9.90" in page
    assert "审核通过" in page and "拒绝" in page


def test_approve_from_the_page_lists_it_and_writes_the_trail(service):
    product = submitted()
    response = service.post(f"/platform/products/{product.id}/approve")
    assert response.status_code == 303
    page = service.get(response.location).get_data(as_text=True)
    assert "已审核通过" in page and "审核通过" in page and "李客服" in page
    db.session.refresh(product)
    assert product.listed and product.audit_status == AuditStatus.APPROVED


def test_a_second_approval_hears_that_somebody_else_reviewed_it(service, operator):
    product = submitted()
    assert service.post(f"/platform/products/{product.id}/approve").status_code == 303
    again = operator.post(f"/platform/products/{product.id}/approve", headers=HX)
    assert again.status_code == 409
    assert "该商品已被他人审核" in again.get_data(as_text=True)
    approvals = db.session.scalar(
        select(func.count()).select_from(ProductEvent).where(ProductEvent.kind == "approved")
    )
    assert approvals == 1


def test_reject_needs_a_reason_and_the_store_reads_it(service):
    product = submitted()
    empty = service.post(f"/platform/products/{product.id}/reject", data={"reason": " "})
    assert empty.status_code == 422 and "请填写拒绝原因" in empty.get_data(as_text=True)
    done = service.post(
        f"/platform/products/{product.id}/reject", data={"reason": "图片模糊"}, headers=HX
    )
    assert done.status_code == 200 and "已拒绝，商家会看到拒绝原因" in done.get_data(as_text=True)
    db.session.refresh(product)
    assert (product.audit_status, product.audit_reason) == (AuditStatus.REJECTED, "图片模糊")


def test_unlist_pin_and_delete_from_the_page(operator):
    product = make_product(make_store(), name="椰子汁")
    commit()
    url = f"/platform/products/{product.id}"
    assert operator.post(url + "/pin").status_code == 303
    assert operator.post(url + "/unlist", data={"reason": ""}).status_code == 422
    assert operator.post(url + "/unlist", data={"reason": "质检不合格"}).status_code == 303
    no_tick = operator.post(url + "/delete", data={"reason": "假冒"})
    assert no_tick.status_code == 422 and "请勾选确认删除" in no_tick.get_data(as_text=True)
    gone = operator.post(url + "/delete", data={"reason": "假冒", "checked": "y"})
    assert gone.status_code == 303 and gone.location.endswith("/platform/products")
    db.session.refresh(product)
    assert product.deleted_at is not None and product.pinned_at is None
    page = operator.get(url).get_data(as_text=True)
    assert "已删除" in page and "质检不合格" in page and "假冒" in page
    assert "椰子汁" not in operator.get("/platform/products?tab=all").get_data(as_text=True)


def test_customer_service_may_not_delete(service):
    product = make_product(make_store())
    commit()
    page = service.get(f"/platform/products/{product.id}").get_data(as_text=True)
    assert "删除商品" not in page
    answer = service.post(
        f"/platform/products/{product.id}/delete", data={"reason": "x", "checked": "y"}
    )
    assert answer.status_code == 403


# ---- what buyers see -----------------------------------------------------------------------


def test_a_deleted_product_is_gone_from_the_store_page(app, operator, client):
    store = make_store(name="椰风小店")
    product = make_product(store, name="椰子汁")
    make_product(store, name="清补凉")
    commit()
    assert "椰子汁" in client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    operator.post(
        f"/platform/products/{product.id}/delete", data={"reason": "假冒", "checked": "y"}
    )
    page = client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert "椰子汁" not in page and "清补凉" in page


def test_the_cart_says_unlisted_and_checkout_refuses_naming_the_product(app, login, client):
    buyer = make_buyer()
    product = make_product(make_store(), name="椰子汁")
    add_to_cart(buyer.id, product.skus[0].id, 2)
    commit()
    platform_unlist(product, "质检不合格", actor_of(make_user(Role.SERVICE)))
    commit()
    login(buyer)

    cart = client.get("/shop/cart").get_data(as_text=True)
    assert "已下架" in cart

    address = db.session.scalars(select(Address).filter_by(user_id=buyer.id)).first()
    page = client.get("/shop/checkout").get_data(as_text=True)
    assert "「椰子汁」已下架，请从购物车移除后再结算" in page
    answer = client.post(
        "/shop/checkout",
        data={"address_id": address.id, "payment_method": "cod"},
        follow_redirects=True,
    )
    assert "「椰子汁」已下架，请从购物车移除后再结算" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 1


# ---- pictures ------------------------------------------------------------------------------


def test_product_pictures_are_public_on_sale_and_staff_only_otherwise(app, service, client):
    product = submitted()
    get_storage().put("products/1/a.jpg", b"full", "image/jpeg")
    get_storage().put("products/1/a.thumb.jpg", b"thumb", "image/jpeg")
    product.images = ["products/1/a.jpg"]
    commit()
    url = f"/media/products/{product.id}/images/1"

    assert client.get(url).status_code == 404  # in review: not public
    assert service.get(url + "?size=thumb").data == b"thumb"
    assert re.search(url, service.get(f"/platform/products/{product.id}").get_data(as_text=True))

    product.listed, product.audit_status = True, AuditStatus.APPROVED
    commit()
    assert client.get(url).data == b"full"
    assert client.get(f"/media/products/{product.id}/images/2").status_code == 404
