"""After-sales (SPEC §5): refund only and return paths end in `refund_due` with the right amount;
the store's silence approves through the sweep; refunds never pass what was paid; the window
closes through the sweep; returned goods go back to stock; the platform steps in."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.actor import SYSTEM
from app.accounts.models import Role
from app.catalog.models import Sku, StockMovement
from app.clock import travel
from app.deadlines import sweep
from app.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.messages import render
from app.ordering.aftersale_states import AfterSaleStatus
from app.ordering.aftersales import (
    aftersale_kinds,
    approve,
    cancel_by_buyer,
    confirm_return_received,
    decide_by_platform,
    enter_return_tracking,
    reject,
    request_aftersale,
)
from app.ordering.models import AfterSale, OrderEvent
from app.ordering.refunds import record_refund
from app.ordering.services import move_order
from app.ordering.settings import order_settings
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.payments.models import Refund
from app.payments.signals import refund_completed
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
)

S = AfterSaleStatus


@contextmanager
def refunds_due():
    """Collect what `refund_due` announces while the block runs."""
    seen: list[dict] = []

    def receiver(order, **kwargs):
        seen.append({"order_id": order.id, **kwargs})

    with refund_due.connected_to(receiver):
        yield seen


def complete(order) -> None:
    owner = actor_of(make_user(Role.STORE_STAFF, store=order.store))
    move_order(order, OrderStatus.SHIPPED, owner)
    move_order(order, OrderStatus.COMPLETED, actor_of(order.buyer, Role.BUYER))
    commit()


@pytest.fixture
def world(app):
    store = make_store(return_address="海口市龙华区退货仓 1 号")
    product = make_product(store, price_fen=1200, stock=10)
    buyer = make_buyer()
    order = place_order(buyer, product, 3)
    complete(order)
    owner = actor_of(make_user(Role.STORE_STAFF, store=store, name="王老板"))
    return {
        "store": store,
        "order": order,
        "item": order.items[0],
        "buyer": actor_of(buyer, Role.BUYER),
        "owner": owner,
        "sku": db.session.get(Sku, order.items[0].sku_id),
    }


def ask(world, kind="refund", quantity=1, reason="商品质量问题", **kw):
    aftersale = request_aftersale(
        world["order"], world["buyer"], kind, {world["item"].id: quantity}, reason, **kw
    )
    commit()
    return aftersale


def send_refund_completed(aftersale_or_order, amount, method="gateway", actor=SYSTEM):
    is_aftersale = isinstance(aftersale_or_order, AfterSale)
    order_id = aftersale_or_order.order_id if is_aftersale else aftersale_or_order.id
    refund = Refund(
        no=f"RF{order_id}{amount}",
        order_id=order_id,
        aftersale_id=aftersale_or_order.id if is_aftersale else None,
        amount_fen=amount,
        method=method,
        status="succeeded",
        reference="转账 20261130",
    )
    db.session.add(refund)
    db.session.flush()
    refund_completed.send(refund, actor=actor)
    commit()
    return refund


def timeline_notes(order) -> list[str]:
    events = db.session.execute(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.machine == "aftersale")
        .order_by(OrderEvent.id)
    ).scalars()
    return [render(event.note) for event in events]


def test_refund_only_approved_by_the_store_sends_refund_due_then_books_the_refund(world):
    aftersale = ask(world, quantity=2)
    assert aftersale.amount_fen == 2400
    with refunds_due() as seen:
        approve(aftersale, world["owner"])
        commit()
    assert seen == [
        {
            "order_id": world["order"].id,
            "amount_fen": 2400,
            "reason": f"售后退款 {aftersale.no}",
            "aftersale_id": aftersale.id,
            "actor": world["owner"],
        }
    ]
    assert aftersale.status == S.REFUNDING

    send_refund_completed(aftersale, 2400)
    db.session.refresh(world["order"])
    db.session.refresh(world["item"])
    assert aftersale.status == S.REFUNDED
    assert world["order"].refunded_fen == 2400
    assert world["item"].refunded_fen == 2400
    assert timeline_notes(world["order"])[-1] == "退款成功 ￥24.00（原路退回）"


def test_a_return_comes_back_to_stock_before_the_money_goes_back(world):
    sku = world["sku"]
    assert sku.stock == 7
    aftersale = ask(world, kind="return", quantity=1, reason="发错货")
    with refunds_due() as seen:
        approve(aftersale, world["owner"])
        commit()
        assert aftersale.status == S.APPROVED
        assert seen == []  # nothing goes back before the goods do
        enter_return_tracking(aftersale, world["buyer"], "顺丰速运", "sf1234567890")
        commit()
        assert (aftersale.status, aftersale.return_tracking_no) == (S.RETURNING, "SF1234567890")
        confirm_return_received(aftersale, world["owner"])
        commit()
    assert [(s["amount_fen"], s["aftersale_id"]) for s in seen] == [(1200, aftersale.id)]
    assert aftersale.status == S.REFUNDING
    db.session.refresh(sku)
    assert sku.stock == 8
    movement = db.session.execute(
        select(StockMovement).where(StockMovement.sku_id == sku.id)
    ).scalar_one()
    assert (movement.before, movement.after) == (7, 8)
    assert movement.reason == f"售后退货入库 {aftersale.no}"
    assert "买家已寄回商品：顺丰速运 SF1234567890" in timeline_notes(world["order"])


def test_the_stores_silence_approves_through_the_deadline_sweep(world):
    aftersale = ask(world)
    hours = order_settings().aftersale_answer_hours
    with refunds_due() as seen:
        with travel(timedelta(hours=hours - 1)):
            sweep()
        db.session.refresh(aftersale)
        assert aftersale.status == S.REQUESTED  # not yet
        with travel(timedelta(hours=hours, minutes=1)):
            sweep()
            sweep()  # a second sweep applies nothing twice
    db.session.refresh(aftersale)
    assert aftersale.status == S.REFUNDING
    assert [s["amount_fen"] for s in seen] == [1200]
    assert f"商家 {hours} 小时内未处理，系统自动同意仅退款" in timeline_notes(world["order"])


def test_an_answered_request_is_not_approved_by_the_sweep_later(world):
    aftersale = ask(world)
    reject(aftersale, world["owner"], "商品无质量问题")
    commit()
    with travel(timedelta(hours=order_settings().aftersale_answer_hours + 1)):
        sweep()
    db.session.refresh(aftersale)
    assert aftersale.status == S.REJECTED


def test_pieces_of_a_discounted_item_sum_exactly_to_what_was_paid_and_never_more(world):
    item = world["item"]
    item.discount_fen = 100  # 3 × ￥12.00 with ￥1.00 off: ￥35.00 paid for the line
    commit()
    amounts = [ask(world, quantity=1).amount_fen for _ in range(3)]
    assert amounts == [1167, 1167, 1166]
    assert sum(amounts) == 3500
    with pytest.raises(InvalidInput, match="最多还能申请 0 件"):
        ask(world, quantity=1)


def test_a_refund_above_what_was_paid_is_refused_and_changes_nothing(world):
    aftersale = ask(world, quantity=1)
    approve(aftersale, world["owner"])
    commit()
    with pytest.raises(InvalidInput, match="超过了实付金额"):
        send_refund_completed(aftersale, 1300)
    db.session.rollback()
    db.session.refresh(world["order"])
    db.session.refresh(aftersale)
    assert world["order"].refunded_fen == 0
    assert aftersale.status == S.REFUNDING


def test_a_refund_of_an_order_beyond_its_total_is_refused(world):
    order = world["order"]
    send_refund_completed(order, order.total_fen)  # cancelled after payment: the whole total
    db.session.refresh(order)
    assert order.refunded_fen == order.total_fen
    assert timeline_notes(order)[-1] == f"退款成功 ￥{order.total_fen // 100}.00（原路退回）"
    with pytest.raises(InvalidInput, match="还可退 ￥0.00"):
        record_refund(Refund(order_id=order.id, amount_fen=1, method="gateway"))


def test_an_offline_refund_names_the_staffs_reference(world):
    aftersale = ask(world)
    approve(aftersale, world["owner"])
    commit()
    service = actor_of(make_user(Role.SERVICE))
    send_refund_completed(aftersale, 1200, method="offline", actor=service)
    assert aftersale.status == S.REFUNDED
    assert timeline_notes(world["order"])[-1] == "退款成功 ￥12.00（线下退款，凭证：转账 20261130）"


def test_the_window_closes_through_the_sweep_and_a_later_request_is_refused(world):
    order = world["order"]
    days = order_settings().aftersale_days
    assert order.aftersale_until == order.completed_at + timedelta(days=days)
    assert aftersale_kinds(order, world["buyer"]) == ("refund", "return")
    with travel(timedelta(days=days, minutes=1)):
        sweep()
        db.session.refresh(order)
        assert timeline_notes(order)[-1] == "售后期已结束"
        assert aftersale_kinds(order, world["buyer"]) == ()
        with pytest.raises(IllegalTransition, match=f"已超过售后期：确认收货后 {days} 天内"):
            ask(world)
    db.session.rollback()
    assert db.session.scalar(select(AfterSale.id)) is None


def test_a_request_after_the_window_is_refused_even_before_the_sweep(world):
    days = order_settings().aftersale_days
    with (
        travel(timedelta(days=days, seconds=1)),
        pytest.raises(IllegalTransition, match="已超过售后期"),
    ):
        ask(world)


def test_open_requests_go_on_after_the_window_closes(world):
    aftersale = ask(world, kind="return")
    approve(aftersale, world["owner"])
    commit()
    with travel(timedelta(days=order_settings().aftersale_days + 1)):
        sweep()
        enter_return_tracking(aftersale, world["buyer"], "中通快递", "ZT778899")
        commit()
    assert aftersale.status == S.RETURNING


def test_the_platform_steps_in_after_a_rejection_and_approves(world):
    aftersale = ask(world, quantity=3)
    reject(aftersale, world["owner"], "已过保质期不退")
    commit()
    db.session.refresh(world["item"])
    assert world["item"].aftersale_quantity == 0  # free again while rejected
    service = actor_of(make_user(Role.SERVICE, name="客服小李"))
    with refunds_due() as seen:
        decide_by_platform(aftersale, service, "approve", "商品确有质量问题，支持退款")
        commit()
    db.session.refresh(world["item"])
    assert world["item"].aftersale_quantity == 3
    assert aftersale.decided_by_platform
    assert aftersale.status == S.REFUNDING
    assert [s["amount_fen"] for s in seen] == [3600]
    assert "平台介入，同意售后：商品确有质量问题，支持退款" in timeline_notes(world["order"])
    with pytest.raises(IllegalTransition, match="平台已介入处理过"):
        decide_by_platform(aftersale, service, "reject", "再看看")


def test_the_platform_rejects_with_a_remark_and_must_give_one(world):
    aftersale = ask(world)
    operator = actor_of(make_user(Role.OPERATOR))
    with pytest.raises(InvalidInput, match="请填写处理意见"):
        decide_by_platform(aftersale, operator, "reject", "  ")
    decide_by_platform(aftersale, operator, "reject", "买家已同意换货")
    commit()
    assert (aftersale.status, aftersale.reject_reason) == (S.REJECTED, "买家已同意换货")


def test_another_store_and_another_buyer_are_refused(world):
    aftersale = ask(world)
    stranger = actor_of(make_user(Role.STORE_STAFF, store=make_store()))
    with pytest.raises(Forbidden):
        approve(aftersale, stranger)
    other_buyer = actor_of(make_buyer(), Role.BUYER)
    with pytest.raises(Forbidden):
        cancel_by_buyer(aftersale, other_buyer)
    with pytest.raises(Forbidden):
        request_aftersale(world["order"], other_buyer, "refund", {world["item"].id: 1}, "其他")


def test_a_rejection_needs_a_reason(world):
    aftersale = ask(world)
    with pytest.raises(InvalidInput, match="请填写拒绝原因"):
        reject(aftersale, world["owner"], "")


def test_the_buyer_cancels_and_may_ask_again(world):
    aftersale = ask(world, quantity=3)
    with pytest.raises(InvalidInput, match="最多还能申请 0 件"):
        ask(world, quantity=1)
    cancel_by_buyer(aftersale, world["buyer"])
    commit()
    assert aftersale.status == S.CANCELLED
    assert ask(world, quantity=3).amount_fen == 3600


def test_bad_requests_are_refused_and_reserve_nothing(world):
    item_id = world["item"].id
    order, buyer = world["order"], world["buyer"]
    cases = [
        ({item_id: 0}, "请选择要售后的商品和数量"),
        ({item_id: -1}, "售后数量至少为 1 件"),
        ({item_id: 4}, "最多还能申请 3 件"),
        ({item_id + 999: 1}, "所选商品不在该订单中"),
    ]
    for items, message in cases:
        with pytest.raises(InvalidInput, match=message):
            request_aftersale(order, buyer, "refund", items, "其他")
    with pytest.raises(InvalidInput, match="请选择售后原因"):
        request_aftersale(order, buyer, "refund", {item_id: 1}, "随便")
    with pytest.raises(InvalidInput, match="请选择售后类型"):
        request_aftersale(order, buyer, "exchange", {item_id: 1}, "其他")
    db.session.refresh(world["item"])
    assert world["item"].aftersale_quantity == 0


def _png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(data, "PNG")
    data.seek(0)
    return data


class Upload:
    def __init__(self, name: str, stream):
        self.filename, self.stream = name, stream


def test_photos_are_kept_and_at_most_six(world):
    with pytest.raises(InvalidInput, match="照片最多 6 张"):
        ask(world, photos=[Upload(f"{n}.png", _png()) for n in range(7)])
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        ask(world, photos=[Upload("a.txt", io.BytesIO(b"hello"))])
    aftersale = ask(world, photos=[Upload("a.png", _png()), Upload("b.png", _png())])
    assert len(aftersale.photos) == 2


def test_a_store_without_after_sales_refuses(world):
    world["store"].after_sales_enabled = False
    commit()
    assert aftersale_kinds(world["order"], world["buyer"]) == ()
    with pytest.raises(IllegalTransition, match="该店铺暂不支持售后"):
        ask(world)


def test_a_shipped_cash_on_delivery_order_has_nothing_to_refund_yet(app):
    store = make_store()
    buyer = make_buyer()
    order = place_order(buyer, make_product(store), 1)
    move_order(order, OrderStatus.SHIPPED, actor_of(make_user(Role.STORE_STAFF, store=store)))
    commit()
    assert aftersale_kinds(order, actor_of(buyer, Role.BUYER)) == ()
    with pytest.raises(IllegalTransition, match="尚未付款"):
        request_aftersale(
            order, actor_of(buyer, Role.BUYER), "refund", {order.items[0].id: 1}, "其他"
        )


def test_two_requests_for_the_last_piece_one_after_the_other(world):
    ask(world, quantity=2)
    ask(world, quantity=1)
    with pytest.raises((InvalidInput, AlreadyTaken)):
        ask(world, quantity=1)
