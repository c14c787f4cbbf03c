"""Dada as a store's courier: the fee is asked before the store confirms, the balance before
anything is sent, the hand-over is a job the outbox retries while Dada cannot be reached, and
what Dada does (accept, fetch, finish, cancel, expire) lands on the same task states and timeline
our own riders write."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.delivery.couriers import courier_for, couriers_for, progress_of
from app.delivery.dada import services
from app.delivery.dada.account import order_params, store_courier
from app.delivery.dada.codes import D
from app.delivery.models import DeliveryTask, TaskStatus
from app.delivery.services import dispatch_settings, pool_statements, task_of
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.jobs import commit, dispatch_pending
from app.jobs.models import OutboxJob, OutboxStatus
from app.messages import render
from app.ordering.services import change_status_by_staff
from app.ordering.states import OrderStatus
from tests.factories import actor_of, make_user
from tests.support import dada as support
from tests.support.dada import dada_store, order_of

dada = support.dada  # fixture

SEND_JOB = "app.delivery.dada.tasks:send_to_dada"


def _notes(order) -> list[str]:
    db.session.expire_all()
    return [render(event.note) for event in order.events]


def _dispatched(owner, order):
    """The store asked the fee and confirmed it (committed); the job has run."""
    quote = services.quote(order, actor_of(owner))
    task = services.dispatch_confirmed(order, actor_of(owner), quote.token)
    commit()
    db.session.expire_all()
    return task


def _pool_ids(rider) -> list[int]:
    """The tasks the rider's pool page lists."""
    statements = pool_statements(actor_of(rider))
    return [row.id for row in db.session.execute(statements.cards, statements.params)]


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_the_fee_is_asked_and_nothing_is_published_before_the_store_confirms(app, dada):
    store, owner = dada_store()
    order = order_of(store)

    quote = services.quote(order, actor_of(owner))

    assert quote.fee_fen == 800 and quote.balance_fen == 100_000 and not quote.short
    assert dada.paths() == ["/api/order/queryDeliverFee", "/api/balance/query"]
    assert dada.orders == {} and task_of(order) is None
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_confirming_ships_the_order_and_publishes_it_with_the_confirmed_number(app, dada):
    store, owner = dada_store()
    order = order_of(store, remark="少放辣")

    task = _dispatched(owner, order)

    assert order.status == OrderStatus.SHIPPED and order.courier_confirms
    assert (task.courier, task.status, task.rider_id) == ("dada", TaskStatus.WAITING, None)
    assert task.courier_status == D.WAITING and task.courier_order_no == order.no
    assert task.courier_fee_fen == 800 and task.commission_fen == 0
    assert "/api/order/addAfterQuery" in dada.paths() and "/api/order/addOrder" not in dada.paths()
    sent = dada.order(order.no)
    assert sent["status"] == 1 and sent["shop_no"] == support.SHOP_NO
    assert sent["params"]["info"] == "少放辣" and sent["callback"] == support.CALLBACK
    assert progress_of(task).status_label == "待达达配送"
    assert "待达达配送" in _notes(order)


def test_a_dada_task_never_shows_in_the_riders_pool(app, dada):
    store, owner = dada_store()
    task = _dispatched(owner, order_of(store))
    rider = make_user(Role.RIDER)

    assert task.announced_at is None
    assert task.id not in _pool_ids(rider)


def test_a_second_confirm_is_the_first_one(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    quote = services.quote(order, actor_of(owner))
    first = services.dispatch_confirmed(order, actor_of(owner), quote.token)
    commit()

    again = services.dispatch_confirmed(order, actor_of(owner), quote.token)
    commit()

    assert again.id == first.id
    assert dada.paths().count("/api/order/addAfterQuery") == 1
    assert db.session.query(DeliveryTask).count() == 1


def test_a_short_balance_is_refused_clearly_and_nothing_is_sent(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    dada.balance_fen = 500  # ¥5.00 for an ¥8.00 fee

    quote = services.quote(order, actor_of(owner))
    assert quote.short
    with pytest.raises(IllegalTransition) as refused:
        services.dispatch_confirmed(order, actor_of(owner), quote.token)
    db.session.rollback()

    assert refused.value.message == (
        "达达余额不足（余额 ￥5.00，本单运费 ￥8.00），请先到达达充值后再派单"
    )
    assert dada.orders == {} and "/api/order/addAfterQuery" not in dada.paths()
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT and task_of(order) is None


def test_a_forged_or_foreign_quote_is_refused(app, dada):
    store, owner = dada_store()
    order, other = order_of(store), order_of(store)
    quote = services.quote(other, actor_of(owner))

    for token in ("not-a-token", quote.token):  # forged; another order's
        with pytest.raises(InvalidInput) as refused:
            services.dispatch_confirmed(order, actor_of(owner), token)
        assert refused.value.message == "运费报价已过期，请重新查询运费"
    assert task_of(order) is None


def test_paid_orders_of_an_auto_dispatch_store_go_to_dada_at_once(app, dada):
    store, _ = dada_store(auto=True)

    order = order_of(store)  # cash on delivery, accepted by the store: to be prepared now

    db.session.expire_all()
    task = task_of(order)
    assert order.status == OrderStatus.SHIPPED and task.courier == "dada"
    assert task.courier_status == D.WAITING
    assert dada.paths()[-3:] == [
        "/api/order/queryDeliverFee",
        "/api/balance/query",
        "/api/order/addAfterQuery",
    ]
    assert "付款后自动派单：达达配送" in _notes(order)


def test_a_manual_store_is_not_dispatched_on_payment(app, dada):
    store, _ = dada_store(auto=False)
    order = order_of(store)
    assert order.status == OrderStatus.AWAITING_SHIPMENT and task_of(order) is None
    assert dada.paths() == []


def test_dada_unreachable_the_outbox_retries_and_the_store_reads_sending(app, dada):
    store, _ = dada_store(auto=True)
    app.config["DADA_BASE_URL"] = _closed_port()

    order = order_of(store)

    task = task_of(order)
    assert order.status == OrderStatus.SHIPPED
    assert task.courier_status is None and progress_of(task).status_label == "派单中"
    job = db.session.execute(select(OutboxJob).where(OutboxJob.task == SEND_JOB)).scalar_one()
    assert job.status == OutboxStatus.PENDING and "DadaUnavailable" in job.last_error

    app.config["DADA_BASE_URL"] = dada.url  # Dada answers again; the sweep hands the row over
    dispatch_pending()

    db.session.expire_all()
    assert task.courier_status == D.WAITING and dada.order(order.no)["status"] == 1
    assert db.session.get(OutboxJob, job.id).status == OutboxStatus.DONE


def test_a_short_balance_at_auto_dispatch_is_written_on_the_task(app, dada):
    store, _ = dada_store(auto=True)
    dada.balance_fen = 100

    order = order_of(store)

    db.session.expire_all()
    task = task_of(order)
    assert task.courier_status == D.FAILED and task.status == TaskStatus.WAITING
    assert dada.orders == {}
    assert any("达达余额不足" in note for note in _notes(order))
    assert services.may_redispatch(task, order)


def test_the_simulators_walk_the_task_and_complete_the_order(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)

    assert dada.accept(order.no) == 200
    db.session.expire_all()
    assert task.status == TaskStatus.ACCEPTED
    assert (task.courier_rider_name, task.courier_rider_phone) == ("李达达", "13900001111")
    assert dada.arrive(order.no) == 200 and dada.fetch(order.no) == 200
    db.session.expire_all()
    assert task.status == TaskStatus.DELIVERING
    assert dada.finish(order.no) == 200

    db.session.expire_all()
    assert task.status == TaskStatus.DELIVERED and order.status == OrderStatus.COMPLETED
    steps = [e.to_status for e in order.events if e.machine == "delivery"]
    assert steps == ["waiting", "accepted", "arrived", "picked", "delivering", "delivered"]
    assert "达达骑手 李达达 13900001111" in _notes(order)
    assert _notes(order)[-1] == "达达骑手已送达"


def test_fetched_without_an_arrival_report_passes_through_the_store(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.accept(order.no)

    dada.fetch(order.no)

    db.session.expire_all()
    assert task.status == TaskStatus.DELIVERING and task.arrived_at and task.picked_at


def test_an_expired_order_waits_for_the_store_and_goes_out_again_by_readd(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)

    dada.expire(order.no)

    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and task.courier_status == D.EXPIRED
    assert progress_of(task).status_label == "达达订单已过期"
    assert "达达订单已过期，无骑手接单" in _notes(order)
    assert services.may_redispatch(task, order)

    _dispatched(owner, order)

    assert "/api/order/reAddOrder" in dada.paths()
    assert task.courier_status == D.WAITING and dada.order(order.no)["status"] == 1
    assert "重新派单至达达" in _notes(order)


def test_a_failed_order_can_go_to_our_own_riders_instead(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.expire(order.no)
    db.session.expire_all()

    services.switch_to_assistant(task, order, actor_of(owner))
    commit()

    db.session.expire_all()
    assert task.courier == "assistant" and task.courier_status is None
    assert task.announced_at is not None and task.commission_fen > 0
    rider = make_user(Role.RIDER)
    assert task.id in _pool_ids(rider)


def test_cancelling_before_a_rider_costs_nothing_and_the_task_waits(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)

    deduct = services.cancel(task, actor_of(owner), 4, "")
    commit()

    assert deduct == 0
    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and task.courier_status == D.CANCELLED
    assert dada.order(order.no)["status"] == 5 and dada.balance_fen == 100_000
    assert "商家取消达达配送：顾客取消订单，违约金 ￥0.00" in _notes(order)


def test_cancelling_after_a_rider_accepted_shows_the_deduct_fee(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.accept(order.no)
    db.session.expire_all()

    deduct = services.cancel(task, actor_of(owner), 10000, "顾客改为自取")
    commit()

    assert deduct == 200
    db.session.expire_all()
    assert task.courier_deduct_fen == 200 and task.status == TaskStatus.WAITING  # send it again
    assert dada.balance_fen == 100_000 - 200
    assert "商家取消达达配送：顾客改为自取，违约金 ￥2.00" in _notes(order)


def test_cancel_needs_one_of_dadas_reasons_and_words_for_other(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)

    with pytest.raises(InvalidInput, match="请选择取消原因"):
        services.cancel(task, actor_of(owner), 999, "")
    with pytest.raises(InvalidInput, match="选择「其他」时请填写取消原因"):
        services.cancel(task, actor_of(owner), 10000, "  ")
    assert dada.order(order.no)["status"] == 1


def test_a_picked_up_order_cannot_be_cancelled(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.accept(order.no)
    dada.fetch(order.no)
    db.session.expire_all()

    with pytest.raises(IllegalTransition, match="不能取消达达配送"):
        services.cancel(task, actor_of(owner), 4)


def test_a_tip_while_waiting_is_added_to_the_fee(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)

    services.add_tip(task, actor_of(owner), 300)
    commit()

    assert dada.order(order.no)["tips"] == 300 and task.courier_fee_fen == 1100
    assert "加小费 ￥3.00" in _notes(order)
    with pytest.raises(InvalidInput):
        services.add_tip(task, actor_of(owner), 305)  # not whole jiao
    dada.accept(order.no)
    db.session.expire_all()
    with pytest.raises(IllegalTransition, match="只有待接单"):
        services.add_tip(task, actor_of(owner), 200)


def test_closing_the_order_cancels_it_at_dada(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    operator = make_user(Role.OPERATOR)

    change_status_by_staff(order, OrderStatus.CLOSED, actor_of(operator), "顾客不要了")
    commit()

    db.session.expire_all()
    assert task.status == TaskStatus.CANCELLED
    assert dada.order(order.no)["status"] == 5
    assert "/api/order/formalCancel" in dada.paths()


def test_the_refresh_asks_dada_and_applies_what_it_says(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.notify = False  # the callback is lost
    dada.accept(order.no)

    assert services.refresh(task) is True
    assert task.status == TaskStatus.ACCEPTED and task.courier_rider_name == "李达达"
    assert services.refresh(task) is False  # the same answer again changes nothing


def test_dada_is_offered_only_to_stores_that_turned_it_on(app, dada):
    on, _ = dada_store()
    off, _ = dada_store(enabled=False)

    assert couriers_for(order_of(on)) == {"assistant": "配送助手", "dada": "达达配送"}
    refused_order = order_of(off)
    assert couriers_for(refused_order) == {"assistant": "配送助手"}
    with pytest.raises(InvalidInput, match="本店未开通达达配送"):
        courier_for(refused_order, "dada")


def test_a_disconnected_assistant_is_not_offered_and_refused_by_name(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    dispatch_settings().connected = False
    commit()

    assert couriers_for(order) == {"dada": "达达配送"}
    with pytest.raises(InvalidInput) as refused:
        courier_for(order, "assistant")
    assert refused.value.message == "配送助手尚未接入平台，暂时不能选择配送助手配送"
    with pytest.raises(InvalidInput):
        courier_for(order, "teleport")


def test_the_old_ship_form_never_sends_dada_an_order_without_the_fee_shown(app, dada):
    store, owner = dada_store()
    order = order_of(store)
    with pytest.raises(IllegalTransition, match="确认达达运费"):
        courier_for(order, "dada").ship(order, actor_of(owner))


def test_only_the_owner_changes_the_dada_settings(app, dada):
    store, owner = dada_store()
    clerk = make_user(Role.STORE_STAFF, store=store)
    fields = services.DadaFields(True, "S1", "0898", True, 1000)

    with pytest.raises(Forbidden, match="只有店主"):
        services.save_dada_settings(store, actor_of(clerk), fields)
    account = services.save_dada_settings(store, actor_of(owner), fields)
    assert (account.shop_no, account.auto_dispatch, account.balance_alert_fen) == ("S1", True, 1000)
    with pytest.raises(InvalidInput, match="门店编号和城市编码"):
        services.save_dada_settings(
            store, actor_of(owner), services.DadaFields(True, "", "", False, 0)
        )


def test_dada_is_told_the_buyers_position_in_gcj02_and_where_to_call_back(app, dada):
    store, owner = dada_store()
    order = order_of(store, quantity=2)
    order.delivery_lat, order.delivery_lng = 20.0440, 110.3500  # WGS-84, 海甸岛, from checkout
    commit()

    params = order_params(order, store_courier(store.id))

    # GCJ-02 sits a few hundred metres off WGS-84 in Haikou (south-east of it)
    assert -0.005 < params["receiver_lat"] - 20.0440 < -0.001
    assert 0.003 < params["receiver_lng"] - 110.3500 < 0.008
    assert params["cargo_num"] == 2 and params["cargo_price"] == 64.0
    assert params["callback"] == support.CALLBACK and params["origin_id"] == order.no
    app.config["DADA_CALLBACK_URL"] = ""
    app.config["PAYMENT_NOTIFY_BASE_URL"] = "https://shop.example.cn/"
    assert order_params(order, store_courier(store.id))["callback"] == (
        "https://shop.example.cn/couriers/dada/callback"
    )


def test_a_cancel_after_acceptance_waits_and_goes_out_again(app, dada):
    """A taken task goes back to 待接单 (the machine's 改派 by the system) and the store sends the
    order to Dada again."""
    store, owner = dada_store()
    order = order_of(store)
    task = _dispatched(owner, order)
    dada.accept(order.no)
    db.session.expire_all()

    assert services.cancel(task, actor_of(owner), 4) == 200
    commit()
    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and services.may_redispatch(task, order)

    _dispatched(owner, order)
    dada.accept(order.no)

    db.session.expire_all()
    assert task.status == TaskStatus.ACCEPTED and task.courier_rider_name == "王骑士"
    steps = [e.to_status for e in order.events if e.machine == "delivery"]
    assert steps[-3:] == ["waiting", "waiting", "accepted"]  # back, 重新派单, a new rider
