"""Dada's status callbacks: stored raw, verified, re-queried before anything moves (their
signature has no secret), applied once however often they come, and answered as Dada expects."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.delivery.dada import services
from app.delivery.dada.codes import D
from app.delivery.dada.standin import DadaStandin
from app.delivery.models import CourierCallback, TaskStatus
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from app.ordering.states import OrderStatus
from tests.factories import actor_of
from tests.support import dada as support
from tests.support.dada import dada_store, order_of

dada = support.dada  # fixture

URL = "/couriers/dada/callback"


def _shipped_by_dada(owner, store):
    order = order_of(store)
    quote = services.quote(order, actor_of(owner))
    task = services.dispatch_confirmed(order, actor_of(owner), quote.token)
    commit()
    db.session.expire_all()
    return order, task


def _rows() -> list[CourierCallback]:
    db.session.expire_all()
    return list(db.session.execute(select(CourierCallback).order_by(CourierCallback.id)).scalars())


def _delivery_events(order) -> list[str]:
    db.session.expire_all()
    return [
        e.to_status
        for e in db.session.execute(
            select(OrderEvent)
            .where(OrderEvent.order_id == order.id, OrderEvent.machine == "delivery")
            .order_by(OrderEvent.id)
        ).scalars()
    ]


def _post(client, body: bytes):
    return client.post(URL, data=body, headers={"Content-Type": "application/json"})


def test_a_callback_is_answered_as_dada_expects_and_moves_the_task(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    dada.notify = False
    dada.accept(order.no)  # Dada moved; its callback is posted by hand below

    answer = _post(client, dada.callback_body(order.no))

    assert answer.status_code == 200 and answer.get_json() == {"code": 200, "msg": "success"}
    db.session.expire_all()
    assert task.status == TaskStatus.ACCEPTED and task.courier_rider_name == "李达达"
    [row] = _rows()
    assert row.outcome == "applied" and row.task_id == task.id
    assert json.loads(row.body)["order_status"] == 2  # the raw body, as Dada sent it


def test_a_forged_callback_with_a_wrong_signature_is_refused_and_nothing_moves(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    forged = dada.callback_body(order.no, order_status=4, signature="0" * 32)

    answer = _post(client, forged)

    assert answer.status_code == 400
    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and order.status == OrderStatus.SHIPPED
    [row] = _rows()
    assert row.outcome == "bad_signature" and "0000" in row.body  # kept, whatever we answered
    assert "/api/order/status/query" not in dada.paths()[-1:]


def test_a_right_signature_the_requery_contradicts_is_refused_and_nothing_moves(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    # Anyone who knows the order can sign (no secret): "finished", while Dada says 待接单
    forged = dada.callback_body(order.no, order_status=4, dm_name="假骑手", resign=True)

    answer = _post(client, forged)

    assert answer.status_code == 409
    assert dada.paths()[-1] == "/api/order/status/query"  # asked Dada before acting
    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and task.courier_rider_name is None
    assert order.status == OrderStatus.SHIPPED
    assert [r.outcome for r in _rows()] == ["contradicted"]

    dada.notify = False
    dada.accept(order.no)
    real = dada.callback_body(order.no)
    assert _post(client, real).status_code == 200  # the forgery did not take the real one's key
    db.session.expire_all()
    assert task.status == TaskStatus.ACCEPTED


def test_one_callback_replayed_fifty_times_moves_once(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    assert dada.accept(order.no) == 200  # the stand-in posted it once

    answers = {dada.replay() for _ in range(50)}

    assert answers == {200}
    assert _delivery_events(order) == ["waiting", "accepted"]
    counted = db.session.scalar(select(func.count()).select_from(CourierCallback))
    assert counted == 1


def test_a_late_callback_applies_what_dada_says_now(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    dada.notify = False
    dada.accept(order.no)
    accepted = dada.callback_body(order.no)
    dada.fetch(order.no)  # the 配送中 callback is lost; the 待取货 one arrives late

    assert _post(client, accepted).status_code == 200

    db.session.expire_all()
    assert task.status == TaskStatus.DELIVERING


def test_dada_failing_to_create_its_order_lets_the_store_dispatch_again(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    dada.orders[order.no]["status"] = D.FAILED  # 创建达达运单失败, as Dada reports it

    answer = _post(client, dada.callback_body(order.no, cancel_reason="收货地址无法识别"))

    assert answer.status_code == 200
    db.session.expire_all()
    assert task.status == TaskStatus.WAITING and task.courier_status == D.FAILED
    assert services.may_redispatch(task, order)
    notes = [e.note for e in order.events if e.machine == "delivery"]
    assert notes[-1] == {"code": "dada_failed", "reason": "收货地址无法识别"}


def test_a_callback_for_an_order_we_never_sent_is_refused(app, client, dada):
    store, owner = dada_store()
    order, _ = _shipped_by_dada(owner, store)
    body = dada.callback_body(order.no, order_id="NOT-OURS", resign=True)

    answer = _post(client, body)

    assert answer.status_code == 404
    assert [r.outcome for r in _rows()] == ["unknown_order"]


def test_a_malformed_callback_is_refused_and_kept(app, client, dada):
    assert _post(client, b"{not json").status_code == 400
    assert _post(client, b'["a", "list"]').status_code == 400
    assert [r.outcome for r in _rows()] == ["malformed", "malformed"]


def test_dada_unreachable_for_the_requery_asks_for_a_retry(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    dada.notify = False
    dada.accept(order.no)
    body = dada.callback_body(order.no)
    dada.down = True

    assert _post(client, body).status_code == 503
    dada.down = False
    assert _post(client, body).status_code == 200  # Dada's retry is not taken for a replay
    db.session.expire_all()
    assert task.status == TaskStatus.ACCEPTED


def test_a_callback_after_the_store_cancelled_changes_nothing_more(app, client, dada):
    store, owner = dada_store()
    order, task = _shipped_by_dada(owner, store)
    services.cancel(task, actor_of(owner), 1)
    commit()
    events = _delivery_events(order)

    statuses = dada.send_held()  # the cancel's own callback, now posted

    assert statuses[-1] == 200
    assert _delivery_events(order) == events
    assert _rows()[-1].outcome == "no_change"


def test_callbacks_go_nowhere_without_a_dada_account(app, client, dada):
    app.config["TESTING"] = False  # production without keys: Dada is not configured
    app.config["DADA_APP_KEY"] = ""
    try:
        assert _post(client, b"{}").status_code == 404
    finally:
        app.config["TESTING"] = True


def test_rider_role_is_what_the_dada_rider_acts_as(app, client, dada):
    store, owner = dada_store()
    order, _ = _shipped_by_dada(owner, store)
    dada.accept(order.no)
    db.session.expire_all()
    accepted = [e for e in order.events if e.to_status == "accepted"][0]
    assert (accepted.actor_role, accepted.actor_id, accepted.actor_name) == (
        Role.RIDER,
        None,
        "李达达",
    )


CONCURRENT = 30


@pytest.mark.postgres
def test_the_same_callback_thirty_times_at_once_moves_once(app_factory):
    """Dada's retries and a replay arriving together: one row, one move, all told success."""
    racing = app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 0, "pool_timeout": 120}
    )
    support.wire_dada(racing)
    with DadaStandin() as standin, racing.app_context():
        standin.hold_callbacks = True
        standin.notify = False
        racing.config.update(standin.settings(), DADA_CALLBACK_URL=support.CALLBACK)
        store, owner = dada_store()
        order, _ = _shipped_by_dada(owner, store)
        standin.accept(order.no)
        body = standin.callback_body(order.no)
        order_id = order.id
        db.session.remove()

        barrier = threading.Barrier(CONCURRENT)
        answers: Counter = Counter()
        lock = threading.Lock()

        def post() -> None:
            client = racing.test_client()
            barrier.wait()
            status = _post(client, body).status_code
            with lock:
                answers[status] += 1

        threads = [threading.Thread(target=post) for _ in range(CONCURRENT)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)

        accepted = db.session.scalar(
            select(func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == TaskStatus.ACCEPTED
            )
        )
        rows = db.session.scalar(select(func.count()).select_from(CourierCallback))
        db.session.remove()
    assert answers == Counter({200: CONCURRENT})
    assert accepted == 1 and rows == 1
