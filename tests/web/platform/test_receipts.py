"""收款登记 on the platform's order page: staff record money transferred for any order."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OfflineReceipt, Order
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


def test_customer_service_records_the_whole_amount_and_the_order_is_paid(app, client, login):
    store = make_store(StoreKind.WHOLESALE)
    order = place_order(
        make_buyer(make_region()),
        make_product(store, price_fen=8_800),
        1,
        payment="alipay_transfer",
    )
    login(make_user(Role.SERVICE))
    commit()
    page = client.get(f"/platform/orders/{order.id}").text
    assert "收款登记" in page and 'name="reference"' in page
    total = order.total_fen
    response = client.post(
        f"/platform/orders/{order.id}/receipts",
        data={
            "amount": f"{total // 100}.{total % 100:02d}",
            "reference": "ALI-7",
            "confirmed": "y",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith(str(order.id))
    db.session.expire_all()
    assert db.session.get(Order, order.id).paid_at is not None
    assert db.session.execute(select(OfflineReceipt.reference)).scalar_one() == "ALI-7"
    assert "已全部收款" in client.get(f"/platform/orders/{order.id}").text
