"""The store's Dada pages: the 达达配送 settings (owner only), the balance and its alert, and the
order page's 立即配送 (own riders or Dada, whose fee is shown before the store confirms), 加小费,
取消达达配送 with Dada's reasons and 重新派单. Other stores' orders answer 404."""

from __future__ import annotations

import re
import socket

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.delivery.dada.codes import D
from app.delivery.models import DeliveryTask, StoreCourier, TaskStatus
from app.delivery.services import dispatch_settings, task_of
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus
from tests.factories import make_store, make_user
from tests.support import dada as support
from tests.support.dada import dada_store, order_of

dada = support.dada  # fixture

HX = {"HX-Request": "true"}


@pytest.fixture
def kitchen(app, dada, login):
    """A same-city store with Dada on (manual dispatch), its owner logged in."""
    store, owner = dada_store(name="椰城小厨")
    login(owner)
    return store


def _page(client, order) -> str:
    return client.get(f"/store/orders/{order.id}").get_data(as_text=True)


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html)[1]


def _dispatch_by_dada(client, order):
    quoted = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})
    return client.post(
        f"/store/orders/{order.id}/dispatch/dada", data={"token": _token(quoted.get_data(True))}
    )


# ---- settings ----------------------------------------------------------------------------------


def test_the_owner_turns_dada_on_with_shop_number_city_and_auto_dispatch(app, client, login):
    store = make_store(name="海甸糖水铺")
    owner = make_user(Role.STORE_STAFF, store=store)
    store.owner_id = owner.id
    commit()
    login(owner)

    page = client.get("/store/couriers").get_data(as_text=True)
    assert "达达门店编号" in page and "付款后自动派单" in page and "尚未查询" in page
    answer = client.post(
        "/store/couriers",
        data={
            "enabled": "y",
            "shop_no": "11047059",
            "city_code": "0898",
            "dispatch": "auto",
            "balance_alert": "80",
        },
    )

    assert answer.status_code == 303
    account = db.session.execute(select(StoreCourier)).scalar_one()
    assert (account.enabled, account.shop_no, account.city_code) == (True, "11047059", "0898")
    assert account.auto_dispatch and account.balance_alert_fen == 8000
    assert "达达配送设置已保存" in client.get("/store/couriers").get_data(as_text=True)


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"enabled": "y", "shop_no": "", "city_code": "0898"}, "须填写达达门店编号和城市编码"),
        ({"shop_no": "<script>", "city_code": "0898"}, "门店编号只能是字母"),
        ({"shop_no": "S1", "city_code": "haikou"}, "请填写达达城市编码"),
        ({"shop_no": "S1", "city_code": "0898", "balance_alert": "abc"}, "请填写金额"),
        ({"shop_no": "S1", "city_code": "0898", "balance_alert": "-5"}, "余额提醒须在"),
        ({"shop_no": "S1", "city_code": "0898", "dispatch": "sometimes"}, "请选择派单方式"),
    ],
)
def test_bad_settings_are_refused_on_the_form(app, client, kitchen, sent, message):
    answer = client.post("/store/couriers", data={"dispatch": "manual", **sent}, headers=HX)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html and "<html" not in html and 'id="dada-form"' in html


def test_a_clerk_sees_the_settings_and_may_not_change_them(app, client, login, dada):
    store, _ = dada_store()
    clerk = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(clerk)

    assert "只有店主可以修改达达配送设置" in client.get("/store/couriers").get_data(True)
    answer = client.post("/store/couriers", data={"shop_no": "X", "city_code": "1"})
    assert answer.status_code == 403
    assert db.session.execute(select(StoreCourier.shop_no)).scalar_one() == support.SHOP_NO


def test_a_wholesale_store_has_no_dada_settings(app, client, login):
    store = make_store(kind="wholesale")
    owner = make_user(Role.STORE_STAFF, store=store)
    store.owner_id = owner.id
    commit()
    login(owner)
    assert client.get("/store/couriers").status_code == 303  # back to its settings
    assert client.post("/store/couriers", data={"shop_no": "S1"}).status_code == 404
    assert "达达配送" not in client.get("/store/orders").get_data(as_text=True)


def test_the_balance_is_refreshed_from_dada_and_an_alert_shows_below_the_threshold(
    app, client, kitchen, dada
):
    dada.balance_fen = 1234  # ¥12.34, under the ¥50.00 alert

    answer = client.post("/store/couriers/dada/balance", headers=HX)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="dada-balance"' in html and "<html" not in html
    assert "￥12.34" in html and "达达余额低于提醒金额" in html
    orders = client.get("/store/orders").get_data(as_text=True)
    assert "达达余额 ￥12.34，低于提醒金额 ￥50.00" in orders


def test_no_alert_while_the_balance_is_above_the_threshold(app, client, kitchen, dada):
    client.post("/store/couriers/dada/balance")
    assert "低于提醒金额" not in client.get("/store/orders").get_data(as_text=True)


# ---- 立即配送 ------------------------------------------------------------------------------------


def test_the_order_offers_own_riders_and_dada_under_immediate_delivery(app, client, kitchen):
    order = order_of(kitchen)
    page = _page(client, order)
    assert "配送助手" in page and "达达配送" in page
    assert ">立即配送</button>" in page


def test_without_dada_the_store_ships_by_own_riders_with_the_old_words(app, client, login, dada):
    store, owner = dada_store(enabled=False)
    login(owner)
    page = _page(client, order_of(store))
    assert 'value="assistant"' in page and 'value="dada"' not in page
    assert ">发货</button>" in page


def test_the_fee_is_shown_before_the_store_confirms(app, client, kitchen, dada):
    order = order_of(kitchen)

    answer = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "确认达达派单" in html and "￥8.00" in html and "1.8 公里" in html
    assert "确认派单" in html
    assert f'hx-get="/store/orders/{order.id}" hx-trigger' not in html  # no refresh wipes it
    assert dada.orders == {}  # asked, not ordered
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT and task_of(order) is None


def test_confirming_sends_the_order_to_dada_and_it_reads_waiting_for_dada(
    app, client, kitchen, dada
):
    order = order_of(kitchen)

    answer = _dispatch_by_dada(client, order)

    assert answer.status_code == 303
    page = _page(client, order)
    assert "已派单至达达，等待达达骑手接单" in page
    assert "待达达配送" in page and "已发货" in page
    assert dada.order(order.no)["status"] == 1
    assert "查看配送进度" in page and "加小费" in page and "取消达达配送" in page


def test_the_dada_rider_and_each_step_show_on_the_order_page(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)

    dada.accept(order.no)
    page = _page(client, order)
    assert "李达达" in page and "13900001111" in page and "达达骑手已接单，待取货" in page
    dada.fetch(order.no)
    dada.finish(order.no)
    page = _page(client, order)
    assert "达达已送达" in page and "已完成" in page


def test_dispatch_with_htmx_redraws_the_detail_block(app, client, kitchen, dada):
    order = order_of(kitchen)
    answer = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"}, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html and 'id="order-detail"' in html


def test_own_riders_still_ship_from_the_same_form(app, client, kitchen):
    order = order_of(kitchen)
    answer = client.post(
        f"/store/orders/{order.id}/dispatch", data={"method": "assistant"}, follow_redirects=True
    )
    assert "已发货，等待骑手接单" in answer.get_data(as_text=True)
    assert task_of(order).courier == "assistant"


def test_a_disconnected_assistant_is_not_offered_and_a_forged_choice_is_refused(
    app, client, kitchen
):
    order = order_of(kitchen)
    dispatch_settings().connected = False
    commit()

    page = _page(client, order)
    assert 'value="assistant"' not in page and "达达配送" in page
    answer = client.post(
        f"/store/orders/{order.id}/dispatch", data={"method": "assistant"}, headers=HX
    )
    assert answer.status_code == 422
    assert "配送助手尚未接入平台，暂时不能选择配送助手配送" in answer.get_data(as_text=True)
    assert task_of(order) is None


@pytest.mark.parametrize("method", ["", "teleport", "dada' OR 1=1"])
def test_a_fuzzed_courier_is_refused_with_a_clear_message(app, client, kitchen, method):
    order = order_of(kitchen)
    answer = client.post(f"/store/orders/{order.id}/dispatch", data={"method": method})
    assert answer.status_code == 422 and "请选择配送方式" in answer.get_data(as_text=True)


def test_dada_chosen_where_it_is_off_is_refused(app, client, login, dada):
    store, owner = dada_store(enabled=False)
    login(owner)
    order = order_of(store)
    answer = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})
    assert answer.status_code == 422 and "本店未开通达达配送" in answer.get_data(as_text=True)


def test_a_short_balance_shows_the_refusal_and_no_confirm_button(app, client, kitchen, dada):
    order = order_of(kitchen)
    dada.balance_fen = 300

    quoted = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})

    html = quoted.get_data(as_text=True)
    assert "达达余额不足（余额 ￥3.00，本单运费 ￥8.00），请先到达达充值后再派单" in html
    assert 'name="token"' not in html


def test_a_confirm_sent_anyway_with_a_short_balance_is_refused_and_nothing_is_sent(
    app, client, kitchen, dada
):
    order = order_of(kitchen)
    quoted = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})
    dada.balance_fen = 300  # spent elsewhere meanwhile

    answer = client.post(
        f"/store/orders/{order.id}/dispatch/dada",
        data={"token": _token(quoted.get_data(True))},
        headers=HX,
    )

    assert answer.status_code == 409
    assert "达达余额不足" in answer.get_data(as_text=True)
    assert dada.orders == {}
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT and task_of(order) is None


@pytest.mark.parametrize("token", ["", "x" * 401, "forged.token.value"])
def test_a_forged_or_stale_quote_is_refused(app, client, kitchen, dada, token):
    order = order_of(kitchen)
    answer = client.post(f"/store/orders/{order.id}/dispatch/dada", data={"token": token})
    assert answer.status_code == 422
    assert "运费报价已过期，请重新查询运费" in answer.get_data(as_text=True)
    assert task_of(order) is None


def test_dada_unreachable_the_store_reads_sending(app, client, kitchen, dada):
    order = order_of(kitchen)
    quoted = client.post(f"/store/orders/{order.id}/dispatch", data={"method": "dada"})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        app.config["DADA_BASE_URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}"

    answer = client.post(
        f"/store/orders/{order.id}/dispatch/dada", data={"token": _token(quoted.get_data(True))}
    )

    assert answer.status_code == 303  # the last balance read stands in; the job will retry
    page = _page(client, order)
    assert "派单中" in page and "自动重试" in page


def test_another_stores_order_answers_404_everywhere(app, client, kitchen, dada):
    other_store, other_owner = dada_store()
    theirs = order_of(other_store)
    quote_page = None
    for path, data in [
        ("dispatch", {"method": "dada"}),
        ("dispatch/dada", {"token": "x"}),
        ("dada/tip", {"tip": "2"}),
        ("dada/cancel", {"reason_id": "1"}),
        ("dada/refresh", {}),
    ]:
        assert client.post(f"/store/orders/{theirs.id}/{path}", data=data).status_code == 404
    assert client.get(f"/store/orders/{theirs.id}/dada/cancel").status_code == 404
    assert quote_page is None and dada.paths() == []
    db.session.refresh(theirs)
    assert theirs.status == OrderStatus.AWAITING_SHIPMENT


def test_an_order_without_a_dada_task_has_nothing_to_tip_or_cancel(app, client, kitchen):
    order = order_of(kitchen)
    assert client.post(f"/store/orders/{order.id}/dada/tip", data={"tip": "2"}).status_code == 404
    assert client.get(f"/store/orders/{order.id}/dada/cancel").status_code == 303  # the order


# ---- after the hand-over -------------------------------------------------------------------------


def test_a_tip_is_added_and_a_bad_one_refused_on_the_form(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)

    bad = client.post(f"/store/orders/{order.id}/dada/tip", data={"tip": "0.05"}, headers=HX)
    assert bad.status_code == 422 and "小费须在 ￥0.10 至 ￥100.00 之间" in bad.get_data(True)
    good = client.post(f"/store/orders/{order.id}/dada/tip", data={"tip": "2"})
    assert good.status_code == 303
    assert "已加小费 ￥2.00" in _page(client, order)
    assert dada.order(order.no)["tips"] == 200


def test_cancel_shows_dadas_reasons_then_the_deduct_fee(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)
    dada.accept(order.no)

    form = client.get(f"/store/orders/{order.id}/dada/cancel", headers=HX).get_data(True)
    assert "没有配送员接单" in form and "其他" in form and "违约金" in form
    missing = client.post(f"/store/orders/{order.id}/dada/cancel", data={}, headers=HX)
    assert missing.status_code == 422 and "请选择取消原因" in missing.get_data(True)
    other = client.post(f"/store/orders/{order.id}/dada/cancel", data={"reason_id": "10000"})
    assert other.status_code == 422 and "选择「其他」时请填写取消原因" in other.get_data(True)

    done = client.post(
        f"/store/orders/{order.id}/dada/cancel", data={"reason_id": "4"}, follow_redirects=True
    )

    assert "已取消达达配送，违约金 ￥2.00" in done.get_data(as_text=True)
    assert dada.order(order.no)["status"] == 5


def test_after_dada_expires_the_store_dispatches_again(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)
    dada.expire(order.no)

    page = _page(client, order)
    assert "达达订单已过期" in page and "重新派单" in page
    answer = _dispatch_by_dada(client, order)

    assert answer.status_code == 303
    assert "/api/order/reAddOrder" in dada.paths()
    task = db.session.execute(select(DeliveryTask)).scalar_one()
    db.session.refresh(task)
    assert task.courier_status == D.WAITING and task.status == TaskStatus.WAITING


def test_after_dada_expires_own_riders_may_take_it(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)
    dada.expire(order.no)

    answer = client.post(
        f"/store/orders/{order.id}/dispatch", data={"method": "assistant"}, follow_redirects=True
    )

    assert "已改由配送助手配送，等待骑手接单" in answer.get_data(as_text=True)
    assert task_of(order).courier == "assistant"


def test_the_refresh_button_asks_dada(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)
    dada.notify = False
    dada.accept(order.no)  # its callback is lost

    answer = client.post(f"/store/orders/{order.id}/dada/refresh", follow_redirects=True)

    assert "李达达" in answer.get_data(as_text=True)


def test_a_clerk_dispatches_too(app, client, login, dada):
    store, _ = dada_store()
    clerk = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(clerk)
    order = order_of(store)
    assert _dispatch_by_dada(client, order).status_code == 303


def test_dada_down_is_said_beside_the_balance_and_on_the_order(app, client, kitchen, dada):
    order = order_of(kitchen)
    _dispatch_by_dada(client, order)
    dada.down = True

    balance = client.post("/store/couriers/dada/balance", headers=HX)
    refresh = client.post(f"/store/orders/{order.id}/dada/refresh", headers=HX)

    assert balance.status_code == 422 and "达达暂时无法连接，请稍后再试" in balance.get_data(True)
    assert refresh.status_code == 422 and "达达暂时无法连接，请稍后再试" in refresh.get_data(True)
    assert 'id="order-detail"' in refresh.get_data(as_text=True)


def test_the_balance_of_a_store_without_dada_is_not_asked(app, client, login, dada):
    store, owner = dada_store(enabled=False)
    login(owner)
    answer = client.post("/store/couriers/dada/balance")
    assert answer.status_code == 422 and "本店未开通达达配送" in answer.get_data(as_text=True)
    assert dada.paths() == []
