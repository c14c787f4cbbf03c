"""Every route of every portal, walked as its own role with generated ids, numbers and strings
(huge, negative, empty, unicode, markup): never a 500, and never a change to stock, totals or
states that a valid request could not make.

The invariants hold whatever the requests did: every unit of stock is either still on the shelf
or in an order whose goods are not back on it; every order's total is its goods plus its fee;
every status is one of the machine's; every ledger balance is the sum of its entries.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.catalog.models import Sku
from app.delivery.models import TASK_MACHINE, DeliveryTask
from app.extensions import db
from app.finance.reports import check
from app.ordering.models import AfterSale, AfterSaleItem, Order, OrderItem
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.portals import PORTAL_BLUEPRINTS
from tests.factories import PASSWORD
from tests.support.one_of_everything import build_one_of_everything

pytestmark = pytest.mark.fuzz

BIG = 2**70
# Names of every field any portal form reads, so generated forms reach the validators.
FIELDS = (
    "quantity", "sku_id", "to", "remark", "reason", "driver_id", "rider_id", "method", "mode",
    "address_id", "payment_method", "checkout_key", "printer_host", "printer_port",
    "printer_encoding", "status", "q", "store", "kind", "date_from", "date_to", "page", "since",
    "phone", "tab", "next", "remark_1", "remark_2",
    # people and merchants
    "code", "password", "password2", "ref", "name", "role", "plate_no", "region", "region_id",
    "contact", "contact_name", "contact_phone", "province", "city", "district", "detail", "lat",
    "lng", "make_default", "shop_name", "wechat", "address", "level_id", "checked", "confirmed",
    "step", "outsider_prices", "agree", "agreement", "multi_merchant", "approval_required",
    "category", "intro", "announcement", "opens_at", "closes_at", "all_day", "avg_spend",
    "service_phone", "service_wechat", "return_address", "after_sales_enabled", "stars", "shown",
    "remove_logo", "remove_images", "rule_shop_name", "rule_licence",
    # checkout, payments and after-sales
    "platform_coupon_id", "points", "delivery_1", "delivery_2", "store_coupon_1",
    "store_coupon_2", "threshold", "discount", "validity", "valid_days", "valid_from",
    "valid_until", "total_quantity", "per_person_limit", "in_centre", "issuer", "state",
    "unpaid_close_minutes", "auto_receipt_days", "aftersale_days", "aftersale_answer_hours",
    "points_per_yuan", "point_value_fen", "points_max_percent", "transfer_payee", "gateway",
    "reference", "confirm", "outcome", "carrier", "tracking_no", "confirm_close", "file",
    "delivery_option", "ids", "description", "photos", "decision", "appeal", "qty-1", "qty-2",
    "qty-3", "amount", "payment_methods", "delivery_options", "key", "month", "settled",
    # money
    "agreed", "holder", "account", "bank", "request_key", "start", "end", "back", "commission",
    "percent", "own", "withdrawals_enabled", "withdraw_min", "withdraw_interval_days", "format",
    # same-city delivery
    "cap", "note", "fixed", "per_km", "minutes", "vehicle", "rider", "day", "seen", "slot_1",
)  # fmt: skip
WORDS = (
    "", " ", "0", "1", "-1", "99999999999999999999999", "1e400", "NaN", "cod", "assistant",
    "express", "closed", "shipped", "completed", "awaiting_shipment", "assign", "grab", "gbk",
    "arrived", "delivered", "pickup", "online", "monthly", "return", "refund", "wechat",
    "alipay", "顺丰速运", "<script>alert(1)</script>", "'; DROP TABLE orders; --", "../..",
    "%00", "\x00", "ｘ", "椰子汁", "😀" * 10, "//evil.example", "https://evil.example",
    "y", "bank", "6222020200112233445", "12.345", "100.01", "xlsx", "2026-13-40", "2026-11-01",
)  # fmt: skip


def values():
    return st.one_of(
        st.sampled_from(WORDS),
        st.integers(-BIG, BIG).map(str),
        st.text(max_size=40),
        st.just("长" * 5000),  # longer than any field may be
    )


RETURNED = ("received", "refunding", "refunded")  # a return's goods are back in the store


def stock_invariant() -> list[str]:
    """Stock on the shelf plus stock held by orders equals what the shelf started with."""
    db.session.expire_all()
    held: dict[int, int] = defaultdict(int)
    rows = db.session.execute(
        select(OrderItem.sku_id, OrderItem.quantity, Order.status, Order.shipped_at).join(Order)
    )
    for sku_id, quantity, status, shipped_at in rows:
        released = status == OrderStatus.CLOSED and shipped_at is None
        if not released:
            held[sku_id] += quantity
    returned = (
        select(OrderItem.sku_id, AfterSaleItem.quantity)
        .join(AfterSaleItem, AfterSaleItem.order_item_id == OrderItem.id)
        .join(AfterSale, AfterSale.id == AfterSaleItem.aftersale_id)
        .where(AfterSale.kind == "return", AfterSale.status.in_(RETURNED))
    )
    for sku_id, quantity in db.session.execute(returned):  # back on the shelf
        held[sku_id] -= quantity
    problems = []
    for sku in db.session.execute(select(Sku)).scalars():
        if sku.stock < 0:
            problems.append(f"negative stock on SKU {sku.id}")
        if sku.stock + held[sku.id] != STARTING_STOCK[sku.id]:
            problems.append(f"SKU {sku.id}: {sku.stock} + {held[sku.id]} held")
    return problems


def order_invariant() -> list[str]:
    problems = []
    for order in db.session.execute(select(Order)).scalars():
        lines = sum(item.line_fen for item in order.items)
        discounts = order.platform_discount_fen + order.points_discount_fen
        discounts += order.store_discount_fen
        shares = sum(item.discount_fen for item in order.items)
        if (
            order.goods_fen != lines
            or shares != discounts
            or order.total_fen != order.goods_fen + order.delivery_fee_fen - discounts
        ):
            problems.append(f"order {order.no}: totals changed")
        if not 0 <= order.refunded_fen <= order.total_fen:
            problems.append(f"order {order.no}: refunded {order.refunded_fen}")
        if order.status not in ORDER_MACHINE.labels:
            problems.append(f"order {order.no}: unknown status {order.status}")
    for task in db.session.execute(select(DeliveryTask)).scalars():
        if task.status not in TASK_MACHINE.labels:
            problems.append(f"task {task.id}: unknown status {task.status}")
    return problems


STARTING_STOCK: dict[int, int] = {}


@pytest.mark.parametrize("portal", sorted(PORTAL_BLUEPRINTS))
def test_fuzzed_requests_never_fail_and_never_break_the_books(app, portal):
    people = build_one_of_everything()
    person, ids = people[portal][0]
    STARTING_STOCK.clear()
    db.session.expire_all()
    held = defaultdict(int)
    for sku_id, quantity in db.session.execute(select(OrderItem.sku_id, OrderItem.quantity)):
        held[sku_id] += quantity
    for sku in db.session.execute(select(Sku)).scalars():
        STARTING_STOCK[sku.id] = sku.stock + held[sku.id]
    assert stock_invariant() == [] and order_invariant() == []

    client = app.test_client()
    landed = client.post("/login", data={"phone": person.phone, "password": PASSWORD})
    assert landed.status_code == 303
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{portal}.")]
    known = [value for id_list in ids.values() for value in id_list]
    adapter = app.url_map.bind("localhost")

    path_value = st.one_of(
        st.sampled_from(known), st.integers(0, BIG), st.sampled_from(["0", "x", "9" * 30])
    )

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        rule=st.sampled_from(rules),
        data=st.data(),
        fields=st.dictionaries(st.sampled_from(FIELDS), values(), max_size=6),
        query=st.dictionaries(st.sampled_from(FIELDS), values(), max_size=3),
        htmx=st.booleans(),
    )
    def walk(rule, data, fields, query, htmx):
        arguments = {name: data.draw(path_value, label=name) for name in rule.arguments}
        try:
            url = adapter.build(rule.endpoint, arguments, append_unknown=False)
        except Exception:  # a value the converter cannot even write: nobody can send it
            url = rule.rule.replace("<", "").replace(">", "")
        method = "POST" if "POST" in rule.methods else "GET"
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.open(url, method=method, query_string=query, data=fields, headers=headers)
        assert response.status_code < 500, (method, url, query, fields)
        assert len(response.headers.get("Location", "")) < 2048  # nothing typed is echoed
        db.session.rollback()
        assert stock_invariant() == [], (method, url, fields)
        assert order_invariant() == [], (method, url, fields)
        assert check() == ([], []), (method, url, fields)  # every balance is its entries' sum

    walk()
