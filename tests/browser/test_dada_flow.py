"""Issue 12 §4: a store with Dada on (自动派单) receives an order paid online; it goes to the Dada
stand-in at once, the buyer reads 待达达配送, and as the stand-in's simulators accept, pick up and
finish it the buyer sees the Dada rider's name and each step; the store's order page follows.

The live server here is built with the WeChat Pay and Dada stand-ins' settings; both reach the
app over real HTTP, as the vendors would, and the simulators are called through the app's own
signed Dada client (the test environment's /api/order/accept, fetch, finish)."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from app.accounts.models import User
from app.catalog.models import Product
from app.delivery.dada.client import dada_client
from app.delivery.dada.standin import DadaStandin
from app.delivery.models import StoreCourier
from app.demo_data import load_demo_data
from app.extensions import db
from app.jobs import commit
from app.payments.standins import WechatPayStandin
from app.stores.models import Store
from tests.browser.conftest import DESKTOP
from tests.browser.test_checkout_flows import add_to_cart, phone_shot
from tests.factories import place_order
from tests.support.dada import wire_dada

pytestmark = pytest.mark.browser

KITCHEN = "椰城小厨"


@pytest.fixture
def wechat():
    with WechatPayStandin() as standin:
        yield standin


@pytest.fixture
def dada():
    with DadaStandin() as standin:  # callbacks by HTTP from its own thread, as Dada does
        yield standin


@pytest.fixture
def live_server(app_factory, wechat, dada):
    app = app_factory(
        **wechat.settings(),
        **dada.settings(),
        PAYMENT_GATEWAYS=("wechat",),
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
    )
    wire_dada(app)
    with app.app_context():
        load_demo_data()
        commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["DADA_CALLBACK_URL"] = f"{server.url}/couriers/dada/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    yield server
    dada.notify = False
    server.shutdown()
    thread.join(timeout=5)


def simulate(server, dada, action: str, order_no: str) -> None:
    """Dada's test-environment simulator, called as the app would call Dada (signed), then its
    callback posted to the app."""
    with server.app.app_context():
        dada_client().simulate(action, order_no)
    dada.flush()


def test_a_paid_order_goes_to_dada_and_the_buyer_follows_the_dada_rider(people, wechat, dada):
    # --- the store turns Dada on with 自动派单
    store = people("store", DESKTOP)
    desk = store.login("13800000003")
    desk.get_by_role("link", name="达达配送").click()
    expect(desk.get_by_role("heading", name="达达配送")).to_be_visible()
    desk.get_by_label("开启达达配送").check()
    desk.get_by_label("达达门店编号").fill("11047059")
    desk.get_by_label("城市编码").fill("0898")
    desk.get_by_label("付款后自动派单").check()
    desk.get_by_label("余额提醒（元）").fill("50")
    desk.get_by_role("button", name="保存").click()
    expect(desk.locator("#flash")).to_contain_text("达达配送设置已保存")
    desk.get_by_role("button", name="刷新余额").click()
    expect(desk.locator("#dada-balance")).to_contain_text("￥1,000.00")
    store.shot("dada-settings")

    # --- the buyer orders and pays online
    buyer = people("buyer")
    page = buyer.login("13800000007")
    add_to_cart(page, KITCHEN, "宫保鸡丁", 1)
    page.goto(buyer.server.url + "/shop/cart")
    page.get_by_role("button", name="去结算").click()
    page.get_by_label("在线支付").check()
    page.get_by_role("button", name=re.compile("提交订单")).click()
    expect(page).to_have_url(re.compile(r"/shop/pay/\d+$"))
    order_no = re.search(r"\d{12,}", page.locator("main").inner_text())[0]
    page.get_by_role("button", name="微信支付").click()
    page.wait_for_url(re.compile(re.escape(wechat.url) + r"/h5pay"))
    page.get_by_role("button", name="确认支付").click()
    expect(page.locator("#pay-result")).to_contain_text("支付成功")

    # --- paid: handed to Dada at once (自动派单)
    dada.flush()
    assert dada.order(order_no)["status"] == 1
    page.goto(f"{buyer.server.url}/shop/orders/{order_no}")
    main = page.locator("main")
    expect(main).to_contain_text("待达达配送")
    phone_shot(buyer, "waiting-for-dada")

    desk.goto(f"{store.server.url}/store/orders")
    row = desk.locator("table.grid tbody tr", has_text=order_no)
    expect(row).to_contain_text("已发货")
    row.locator("a").first.click()
    detail = desk.locator("#order-detail")
    expect(detail).to_contain_text("待达达配送")
    expect(detail).to_contain_text("￥8.00")
    store.shot("store-order-waiting-for-dada")

    # --- the stand-in's simulators: a rider accepts, picks up, delivers
    simulate(buyer.server, dada, "accept", order_no)
    expect(main).to_contain_text("李达达", timeout=15_000)
    expect(main).to_contain_text("骑手正赶往商家")
    phone_shot(buyer, "dada-rider-accepted")

    simulate(buyer.server, dada, "fetch", order_no)
    expect(main).to_contain_text("骑手配送中", timeout=15_000)
    expect(main).to_contain_text("骑手已取货")
    phone_shot(buyer, "dada-rider-delivering")

    simulate(buyer.server, dada, "finish", order_no)
    expect(main).to_contain_text("已送达", timeout=15_000)
    expect(main).to_contain_text("达达骑手已送达")
    phone_shot(buyer, "dada-delivered")

    desk.reload()
    expect(detail).to_contain_text("达达已送达")
    expect(detail).to_contain_text("李达达")
    expect(detail).to_contain_text("已完成")
    store.shot("store-order-delivered-by-dada")


def test_the_store_confirms_dadas_fee_tips_and_cancels_with_the_deduct_fee(
    live_server, people, dada
):
    """Manual dispatch: 立即配送 → 达达配送 shows the fee → 确认派单 → 加小费 → 取消达达配送 with one
    of Dada's reasons (the rider had accepted: ¥2.00 违约金, shown on the page)."""
    app = live_server.app
    with app.app_context():
        kitchen = db.session.execute(select(Store).filter_by(name=KITCHEN)).scalar_one()
        db.session.add(
            StoreCourier(
                store_id=kitchen.id,
                courier="dada",
                enabled=True,
                shop_no="11047059",
                city_code="0898",
                auto_dispatch=False,
            )
        )
        buyer = db.session.execute(select(User).filter_by(phone="13800000007")).scalar_one()
        dish = db.session.execute(
            select(Product).filter_by(store_id=kitchen.id, name="宫保鸡丁")
        ).scalar_one()
        order_no = place_order(buyer, dish).no  # cash on delivery, accepted by the store
        db.session.remove()

    store = people("store", DESKTOP)
    desk = store.login("13800000003")
    asked = []
    desk.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    desk.locator("table.grid tbody tr", has_text=order_no).locator("a").first.click()
    detail = desk.locator("#order-detail")
    desk.get_by_label("达达配送").check()
    desk.get_by_role("button", name="立即配送").click()
    expect(detail).to_contain_text("确认达达派单")
    expect(detail).to_contain_text("￥8.00")
    expect(detail).to_contain_text("￥1,000.00")
    assert order_no not in dada.orders  # only asked
    store.shot("dada-fee-before-confirm")

    desk.get_by_role("button", name="确认派单").click()
    expect(detail.locator("#dada-progress")).to_be_visible()  # 派单中 until the job reaches Dada
    desk.reload()
    expect(detail.locator("#dada-progress")).to_contain_text("待达达配送")
    desk.get_by_placeholder("小费（元）").fill("2")
    desk.get_by_role("button", name="加小费").click()
    expect(detail).to_contain_text("￥10.00")
    store.shot("dada-waiting-with-tip")

    simulate(live_server, dada, "accept", order_no)
    desk.reload()
    expect(detail).to_contain_text("李达达")
    desk.get_by_role("link", name="取消达达配送").click()
    expect(detail).to_contain_text("没有配送员接单")
    expect(detail).to_contain_text("可能产生违约金")
    store.shot("dada-cancel-reasons")
    desk.get_by_label("顾客取消订单").check()
    desk.get_by_role("button", name="确认取消达达配送").click()
    expect(desk.locator("#flash")).to_contain_text("已取消达达配送，违约金 ￥2.00")
    expect(detail).to_contain_text("达达配送已取消")
    expect(detail).to_contain_text("￥2.00")
    assert asked == ["确定取消达达配送吗？骑手接单后取消，达达会扣除违约金。"]
    store.shot("dada-cancelled-with-deduct-fee")
