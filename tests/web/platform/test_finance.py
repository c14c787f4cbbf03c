"""财务 in the platform portal: the overview with its chart, withdrawals approved, rejected and
paid (each once, each with what it needs), per-store money with its Excel export, an account's
fines and adjustments (posted once per form), the commission rates and withdrawal rules; customer
service looks but does not act, and other portals' people are kept out."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from app.accounts.actor import SYSTEM
from app.accounts.models import Role
from app.catalog.models import Category
from app.clock import local_today
from app.extensions import db
from app.finance.adjustments import ONLY_OPERATOR, adjust
from app.finance.commission import RATE_OUT_OF_RANGE
from app.finance.ledger import platform_account_id, rider_account_id, store_account_id
from app.finance.models import (
    CategoryCommissionRate,
    EntryKind,
    LedgerAccount,
    Posting,
    StoreCommissionRate,
    Withdrawal,
    WithdrawalStatus,
)
from app.finance.reports import overview
from app.finance.settings import finance_settings
from app.finance.withdrawals import clean_payout_account, request_withdrawal
from app.jobs import commit
from app.money import format_fen
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.statemachine import CHANGED_MEANWHILE
from tests.factories import actor_of, make_buyer, make_store, make_user
from tests.unit.payments import standin_fixtures
from tests.unit.payments.standin_fixtures import begin_payment, online_order

wechat = standin_fixtures.wechat  # fixture

HX = {"HX-Request": "true"}
KEY = "ab" * 16


def _flat(html: str) -> str:
    """The page's text with tags and runs of whitespace folded, for reading figures."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _account(account_id: int) -> LedgerAccount:
    db.session.expire_all()
    return db.session.get(LedgerAccount, account_id)


def _postings(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Posting).where(Posting.kind == kind))


@pytest.fixture
def world(app):
    """A store with its owner and ￥200.00 可提现 (an adjustment), a rider with ￥80.00, an
    operator and customer service; the store asked for ￥50.00 to its bank card."""
    finance_settings().withdraw_interval_days = 0
    store = make_store(name="椰城小厨")
    owner = make_user(Role.STORE_STAFF, store=store, name="王老板")
    store.owner_id = owner.id
    rider = make_user(Role.RIDER, name="赵骑手")
    operator = make_user(Role.OPERATOR, name="运营小李")
    service = make_user(Role.SERVICE, name="客服小周")
    store_account = store_account_id(store.id)
    rider_account = rider_account_id(rider.id)
    adjust(actor_of(operator), store_account, 20_000, "开业补贴", "11" * 16)
    adjust(actor_of(operator), rider_account, 8_000, "配送补贴", "22" * 16)
    withdrawal = request_withdrawal(
        actor_of(owner),
        5_000,
        agreed=True,
        payout=clean_payout_account("bank", "王小明", "6222 0212 3456 7890", "工商银行"),
    )
    commit()
    return {
        "store": store,
        "owner": owner,
        "rider": rider,
        "operator": operator,
        "service": service,
        "store_account": store_account,
        "rider_account": rider_account,
        "withdrawal": withdrawal,
    }


def _act(client, withdrawal_id: int, action: str, **data):
    return client.post(f"/platform/finance/withdrawals/{withdrawal_id}/{action}", data=data)


# ---- the overview ---------------------------------------------------------------------------


def test_the_overview_shows_the_periods_figures_and_a_chart_of_payments_and_refunds(
    app, wechat, client, login
):
    order = online_order(price_fen=2_000)
    payment = begin_payment(order, "wechat")
    wechat.pay(payment.no)
    db.session.expire_all()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    refund_due.send(order, amount_fen=500, reason="缺货", aftersale_id=None, actor=SYSTEM)
    commit()  # the refund job runs in-process and the ledger hears it
    today = local_today()
    figures = overview(today, today)
    assert (figures.payments_fen, figures.refunds_fen) == (2_000, 500)
    assert figures.pending_fen == 2_000 - 500 - figures.commission_fen > 0

    login(make_user(Role.OPERATOR))
    page = client.get("/platform/finance")
    assert page.status_code == 200
    text = _flat(page.text)
    assert "在线支付金额 ￥20.00" in text and "退款金额 ￥5.00" in text
    assert f"不可提现 {_yuan(figures.pending_fen)}" in text
    assert f"平台佣金 {_yuan(figures.commission_fen)}" in text
    assert "已打款 ￥0.00" in text and "待打款 ￥0.00" in text
    # the chart: inline SVG, labelled, one bar per non-zero figure with its hover title
    assert 'role="img"' in page.text and "支付合计 ￥20.00，退款合计 ￥5.00" in page.text
    day = today.strftime("%m-%d")
    assert f"<title>{day} 付款 ￥20.00</title>" in page.text
    assert f"<title>{day} 退款 ￥5.00</title>" in page.text
    assert page.text.count('<rect class="chart-paid"') == 1
    assert page.text.count('<rect class="chart-refund"') == 1
    # and the table behind it for screen readers, one row per day of the 30
    assert 'class="visually-hidden"' in page.text
    assert f'<th scope="row">{today.isoformat()}</th><td>￥20.00</td><td>￥5.00</td>' in page.text
    assert page.text.count('<th scope="row">') == 30

    earlier = client.get("/platform/finance?start=2020-01-01&end=2020-01-31", headers=HX)
    assert "<html" not in earlier.text and "在线支付金额" in earlier.text
    assert "<rect" not in earlier.text and "该区间没有在线支付或退款" in earlier.text
    backwards = client.get("/platform/finance?start=2020-02-01&end=2020-01-01")
    assert backwards.status_code == 422 and "结束日期不能早于开始日期" in backwards.text


def _yuan(fen: int) -> str:
    return format_fen(fen)


# ---- withdrawals ----------------------------------------------------------------------------


def test_the_list_shows_each_request_with_a_masked_account_and_the_sidebar_counts_it(
    world, client, login
):
    login(world["operator"])
    page = client.get("/platform/finance/withdrawals")
    assert page.status_code == 200
    text = _flat(page.text)
    assert world["withdrawal"].no in text and "椰城小厨" in text and "￥50.00" in text
    assert "银行卡 · 工商银行 · 王小明 · **** 7890" in text
    assert "6222021234567890" not in page.text  # the whole card only on the request's page
    assert "提现管理 (1)" in text and "待审核" in text
    assert 'hx-confirm="确定通过提现申请' in page.text
    assert (
        "6222021234567890"
        in client.get(f"/platform/finance/withdrawals/{world['withdrawal'].id}").text
    )
    assert "椰城小厨" not in client.get("/platform/finance/withdrawals?kind=rider").text
    assert "椰城小厨" not in client.get("/platform/finance/withdrawals?status=paid").text
    assert "椰城小厨" not in client.get("/platform/finance/withdrawals?method=alipay").text
    assert world["withdrawal"].no in client.get("/platform/finance/withdrawals?q=椰城").text
    assert world["withdrawal"].no not in client.get("/platform/finance/withdrawals?q=南洋").text
    assert (
        world["withdrawal"].no
        not in client.get("/platform/finance/withdrawals?start=2020-01-01&end=2020-01-02").text
    )


def test_approve_then_mark_paid_moves_the_money_through_the_buckets(world, client, login):
    login(world["operator"])
    w, account = world["withdrawal"], world["store_account"]
    assert (_account(account).available_fen, _account(account).review_fen) == (15_000, 5_000)
    done = _act(
        client,
        w.id,
        "approve",
        confirmed="1",
        back="/platform/finance/withdrawals?status=requested",
    )
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/platform/finance/withdrawals?status=requested")
    assert (_account(account).review_fen, _account(account).payout_fen) == (0, 5_000)

    no_reference = _act(client, w.id, "pay", confirmed="1", reference="  ")
    assert no_reference.status_code == 422 and "请填写打款流水号" in no_reference.text
    assert _postings(EntryKind.WITHDRAWAL_PAID) == 0
    assert db.session.get(Withdrawal, w.id).status == WithdrawalStatus.APPROVED

    paid = _act(client, w.id, "pay", confirmed="1", reference="ICBC20260131001")
    assert paid.status_code == 303
    account_now = _account(account)
    assert (account_now.payout_fen, account_now.withdrawn_fen) == (0, 5_000)
    assert account_now.available_fen == 15_000
    page = _flat(client.get("/platform/finance/withdrawals").text)
    assert "已打款" in page and "ICBC20260131001" in page
    overview_page = _flat(client.get("/platform/finance").text)
    assert "已打款 ￥50.00" in overview_page and "待提现 ￥230.00" in overview_page


def test_a_plain_post_asks_for_confirmation_first(world, client, login):
    login(world["operator"])
    w = world["withdrawal"]
    asked = _act(client, w.id, "reject", reason="账户名与店主不符")
    assert asked.status_code == 200
    assert "请确认" in asked.text and "确认拒绝" in asked.text and "账户名与店主不符" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    assert db.session.get(Withdrawal, w.id).status == WithdrawalStatus.REQUESTED
    assert _postings(EntryKind.WITHDRAWAL_REJECTED) == 0


def test_reject_needs_a_reason_and_returns_the_money_to_available(world, client, login):
    login(world["operator"])
    w, account = world["withdrawal"], world["store_account"]
    refused = _act(client, w.id, "reject", confirmed="1", reason="")
    assert refused.status_code == 422 and "请填写拒绝原因" in refused.text
    assert _account(account).review_fen == 5_000

    from_the_row = client.post(
        f"/platform/finance/withdrawals/{w.id}/reject",
        data={"confirmed": "1", "reason": ""},
        headers={**HX, "HX-Target": f"withdrawal-{w.id}"},
    )
    assert from_the_row.status_code == 422
    assert from_the_row.text.lstrip().startswith(f'<tr id="withdrawal-{w.id}"')
    assert "请填写拒绝原因" in from_the_row.text

    done = _act(client, w.id, "reject", confirmed="1", reason="账户名与店主不符")
    assert done.status_code == 303
    account_now = _account(account)
    assert (account_now.available_fen, account_now.review_fen) == (20_000, 0)
    assert db.session.get(Withdrawal, w.id).reject_reason == "账户名与店主不符"
    assert "账户名与店主不符" in client.get("/platform/finance/withdrawals?status=rejected").text


def test_approving_twice_answers_with_the_reason_and_posts_once(world, client, login):
    login(world["operator"])
    w, account = world["withdrawal"], world["store_account"]
    assert _act(client, w.id, "approve", confirmed="1").status_code == 303
    again = _act(client, w.id, "approve", confirmed="1")
    assert again.status_code == 409
    assert "当前状态为「待打款」，不能改为「待打款」" in again.text
    tapped_in_the_list = client.post(
        f"/platform/finance/withdrawals/{w.id}/approve",
        data={"confirmed": "1"},
        headers={**HX, "HX-Target": f"withdrawal-{w.id}"},
    )
    assert tapped_in_the_list.status_code == 409
    assert "不能改为" in tapped_in_the_list.text and "确认打款" in tapped_in_the_list.text
    assert _postings(EntryKind.WITHDRAWAL_APPROVED) == 1
    assert _account(account).payout_fen == 5_000
    assert "提现管理 (1)" not in _flat(client.get("/platform/finance/withdrawals").text)


def test_an_approval_that_lost_a_race_says_so_and_posts_nothing(world, client, login):
    """Another operator approved between this page's read and its write: the compare-and-set
    finds the request moved and the domain says so (409, never a 500)."""
    login(world["operator"])
    w = world["withdrawal"]
    assert db.session.get(Withdrawal, w.id).status == WithdrawalStatus.REQUESTED  # read now
    db.session.execute(  # the other operator's move, behind this session's back
        update(Withdrawal)
        .where(Withdrawal.id == w.id)
        .values(status=WithdrawalStatus.APPROVED)
        .execution_options(synchronize_session=False)
    )
    lost = client.post(
        f"/platform/finance/withdrawals/{w.id}/approve",
        data={"confirmed": "1"},
        headers={**HX, "HX-Target": f"withdrawal-{w.id}"},
    )
    assert lost.status_code == 409 and str(CHANGED_MEANWHILE()) in lost.text
    assert _postings(EntryKind.WITHDRAWAL_APPROVED) == 0
    assert _account(world["store_account"]).payout_fen == 0


def test_customer_service_may_look_but_not_act(world, client, login):
    login(world["service"])
    w = world["withdrawal"]
    page = client.get("/platform/finance/withdrawals")
    assert page.status_code == 200 and w.no in page.text
    assert "只有平台运营可以审核和打款" in page.text and "hx-confirm" not in page.text
    detail = client.get(f"/platform/finance/withdrawals/{w.id}").text
    assert "6222021234567890" not in detail and "**** 7890" in detail
    refused = _act(client, w.id, "approve", confirmed="1")
    assert refused.status_code == 403 and "您的角色不能执行「通过」" in refused.text
    assert db.session.get(Withdrawal, w.id).status == WithdrawalStatus.REQUESTED
    account_page = client.get(f"/platform/finance/accounts/{world['store_account']}")
    assert account_page.status_code == 200 and "只有平台运营可以罚款或调账" in account_page.text
    fine = client.post(
        f"/platform/finance/accounts/{world['store_account']}/fine",
        data={"amount": "10", "reason": "超时", "request_key": KEY, "confirmed": "1"},
    )
    assert fine.status_code == 403 and str(ONLY_OPERATOR()) in fine.text
    assert _postings(EntryKind.FINE) == 0
    settings = client.post(
        "/platform/finance/settings",
        data={"commission": "8", "withdraw_min": "5", "withdraw_interval_days": "1"},
    )
    assert settings.status_code == 403 and finance_settings().commission_bp == 500


def test_a_riders_request_is_paid_the_same_way(world, client, login):
    rider = world["rider"]
    w = request_withdrawal(
        actor_of(rider),
        3_000,
        agreed=True,
        payout=clean_payout_account("alipay", "赵小四", "13812345678"),
    )
    commit()
    login(world["operator"])
    text = _flat(client.get("/platform/finance/withdrawals?kind=rider").text)
    assert "赵骑手" in text and "支付宝 · 赵小四 · 138****5678" in text
    assert "椰城小厨" not in text
    assert _act(client, w.id, "approve", confirmed="1").status_code == 303
    assert _act(client, w.id, "pay", confirmed="1", reference="ALI001").status_code == 303
    assert _account(world["rider_account"]).withdrawn_fen == 3_000


# ---- an account's page: fines and adjustments -----------------------------------------------


def test_a_fine_needs_a_reason_and_posts_once_per_form(world, client, login):
    login(world["operator"])
    account = world["store_account"]
    url = f"/platform/finance/accounts/{account}"
    page = client.get(url)
    assert page.status_code == 200
    assert "开业补贴" in page.text and "可提现" in page.text and "￥150.00" in page.text
    assert re.search(r'name="request_key" value="[0-9a-f]{32}"', page.text)

    no_reason = client.post(
        f"{url}/fine", data={"amount": "50", "reason": " ", "request_key": KEY, "confirmed": "1"}
    )
    assert no_reason.status_code == 422 and "请填写原因（店铺会看到）" in no_reason.text
    bad_amount = client.post(
        f"{url}/fine",
        data={"amount": "12.345", "reason": "超时", "request_key": KEY, "confirmed": "1"},
    )
    assert bad_amount.status_code == 422 and "最多两位小数" in bad_amount.text
    negative = client.post(
        f"{url}/fine", data={"amount": "-5", "reason": "超时", "request_key": KEY, "confirmed": "1"}
    )
    assert negative.status_code == 422 and "罚款金额须大于 0" in negative.text
    asked = client.post(
        f"{url}/fine", data={"amount": "50", "reason": "超时发货", "request_key": KEY}
    )
    assert asked.status_code == 200 and "确认罚款" in asked.text and "￥50.00" in asked.text
    assert _postings(EntryKind.FINE) == 0 and _account(account).available_fen == 15_000

    form = {"amount": "50", "reason": "超时发货", "request_key": KEY, "confirmed": "1"}
    first = client.post(f"{url}/fine", data=form)
    assert first.status_code == 303
    assert "已罚款 ￥50.00" in client.get(first.headers["Location"]).text
    second = client.post(f"{url}/fine", data=form)  # the same form again (a double tap)
    assert second.status_code == 303
    assert "这笔罚款已经记过了" in client.get(second.headers["Location"]).text
    assert _postings(EntryKind.FINE) == 1
    assert _account(account).available_fen == 10_000
    assert "超时发货" in client.get(url).text


def test_an_adjustment_is_signed_and_not_zero(world, client, login):
    login(world["operator"])
    account = world["store_account"]
    url = f"/platform/finance/accounts/{account}/adjust"
    zero = client.post(
        url, data={"amount": "0", "reason": "核对", "request_key": KEY, "confirmed": "1"}
    )
    assert zero.status_code == 422 and "调账金额不能为 0" in zero.text
    done = client.post(
        url, data={"amount": "-12.50", "reason": "多结算运费", "request_key": KEY, "confirmed": "1"}
    )
    assert done.status_code == 303
    assert _account(account).available_fen == 15_000 - 1_250


def test_the_platforms_own_account_and_unknown_ids_are_not_pages(world, client, login):
    login(world["operator"])
    assert client.get(f"/platform/finance/accounts/{platform_account_id()}").status_code == 404
    assert (
        client.post(
            f"/platform/finance/accounts/{platform_account_id()}/adjust",
            data={"amount": "5", "reason": "x", "request_key": KEY, "confirmed": "1"},
        ).status_code
        == 404
    )
    assert client.get("/platform/finance/accounts/999999").status_code == 404
    assert client.get("/platform/finance/withdrawals/999999").status_code == 404
    assert _act(client, 999999, "approve", confirmed="1").status_code == 404
    rider_page = client.get(f"/platform/finance/accounts/{world['rider_account']}")
    assert rider_page.status_code == 200 and "赵骑手" in rider_page.text


# ---- per-store money and its export ---------------------------------------------------------


def test_store_totals_and_the_excel_export(world, client, login):
    other = make_store(name="=南洋批发")
    adjust(actor_of(world["operator"]), store_account_id(other.id), 1_234, "补贴", "33" * 16)
    commit()
    login(world["operator"])
    page = _flat(client.get("/platform/finance/stores").text)
    assert "椰城小厨 1 ￥0.00 ￥150.00 ￥0.00 ￥0.00" in page
    assert "合计 1 ￥0.00 ￥162.34" in page

    today = local_today().isoformat()
    exported = client.get(f"/platform/finance/stores/export.xlsx?start={today}&end={today}")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(exported.data))
    summary, stores = book["资金概况"], book["店铺资金"]
    lines = {row[0]: row[1] for row in summary.iter_rows(values_only=True)}
    assert lines["统计区间"] == f"{today} ~ {today}"
    assert lines["待提现（可提现）"] == pytest.approx(242.34)  # the rider's ￥80.00 too
    assert lines["审核中"] == pytest.approx(50)
    rows = list(stores.iter_rows(values_only=True))
    assert rows[0] == ("店铺", "提现笔数", "已打款", "待提现", "不可提现", "待打款")
    assert ("椰城小厨", 1, 0, 150, 0, 0) in rows
    assert ("'=南洋批发", 0, 0, pytest.approx(12.34), 0, 0) in rows  # never a formula
    assert rows[-1][0] == "合计" and rows[-1][3] == pytest.approx(162.34)
    bad = client.get("/platform/finance/stores/export.xlsx?start=2026-13-01")
    assert bad.status_code == 422 and "日期格式如 2026-01-31" in bad.text


# ---- settings and commission rates ----------------------------------------------------------

SETTINGS = {
    "commission": "5",
    "withdrawals_enabled": "y",
    "withdraw_min": "5",
    "withdraw_interval_days": "5",
    "agreement": "提现协议",
}


@pytest.mark.parametrize("rate", ["100.01", "-1", "1.234", "abc", ""])
def test_a_rate_out_of_range_is_refused(world, client, login, rate):
    login(world["operator"])
    refused = client.post("/platform/finance/settings", data={**SETTINGS, "commission": rate})
    assert refused.status_code == 422
    assert str(RATE_OUT_OF_RANGE()) in refused.text
    assert finance_settings().commission_bp == 500
    store_id = world["store"].id
    store_rate = client.post(
        f"/platform/finance/settings/stores/{store_id}/rate", data={"percent": rate}
    )
    assert store_rate.status_code == 422 and str(RATE_OUT_OF_RANGE()) in store_rate.text
    assert db.session.get(StoreCommissionRate, store_id) is None


def test_the_settings_are_saved_and_checked(world, client, login):
    login(world["operator"])
    page = client.get("/platform/finance/settings")
    assert page.status_code == 200 and 'value="5.00"' in page.text
    saved = client.post(
        "/platform/finance/settings",
        data={**SETTINGS, "commission": "5.25", "withdraw_min": "10.50", "withdrawals_enabled": ""},
    )
    assert saved.status_code == 303
    db.session.expire_all()
    rules = finance_settings()
    assert (rules.commission_bp, rules.withdraw_min_fen, rules.withdrawals_enabled) == (
        525,
        1050,
        False,
    )
    assert (rules.withdraw_interval_days, rules.agreement) == (5, "提现协议")
    for field, value, message in (
        ("withdraw_interval_days", "-1", "须在 0 到 365 之间"),
        ("withdraw_min", "abc", "请填写金额（元）"),
        ("agreement", "字" * 5001, "提现协议最多 5000 字"),
    ):
        refused = client.post("/platform/finance/settings", data={**SETTINGS, field: value})
        assert refused.status_code == 422 and message in refused.text, field
    db.session.expire_all()
    assert finance_settings().commission_bp == 525


def test_a_stores_and_a_categorys_own_rate_are_set_and_cleared(world, client, login):
    login(world["operator"])
    store_id = world["store"].id
    listed = client.get("/platform/finance/settings/stores").text
    assert "椰城小厨" in listed and "默认" in listed
    done = client.post(
        f"/platform/finance/settings/stores/{store_id}/rate", data={"percent": "7.5"}
    )
    assert done.status_code == 303
    assert db.session.get(StoreCommissionRate, store_id).bp == 750
    assert "7.50%" in client.get("/platform/finance/settings/stores?own=1").text
    assert (
        client.post(f"/platform/finance/settings/stores/{store_id}/rate/clear").status_code == 303
    )
    db.session.expire_all()
    assert db.session.get(StoreCommissionRate, store_id) is None

    food = Category(name="食品饮料", level=1)
    db.session.add(food)
    db.session.flush()
    drinks = Category(name="饮料", level=2, parent_id=food.id)
    db.session.add(drinks)
    commit()
    url = f"/platform/finance/settings/categories/{food.id}/rate"
    assert client.post(url, data={"percent": "100.01"}).status_code == 422
    assert client.post(url, data={"percent": "3"}).status_code == 303
    assert db.session.get(CategoryCommissionRate, food.id).bp == 300
    tree = _flat(client.get("/platform/finance/settings/categories").text)
    assert "食品饮料 3.00%" in tree and "饮料 沿用上级（3.00%）" in tree
    assert client.post(f"{url}/clear").status_code == 303
    db.session.expire_all()
    assert db.session.get(CategoryCommissionRate, food.id) is None
    assert (
        client.post(
            "/platform/finance/settings/categories/999999/rate", data={"percent": "3"}
        ).status_code
        == 404
    )


def test_customer_service_reads_the_settings_but_cannot_change_rates(world, client, login):
    login(world["service"])
    page = client.get("/platform/finance/settings")
    assert page.status_code == 200 and "只有平台运营可以修改财务设置和佣金比例" in page.text
    refused = client.post(
        f"/platform/finance/settings/stores/{world['store'].id}/rate", data={"percent": "8"}
    )
    assert refused.status_code == 403
    assert db.session.get(StoreCommissionRate, world["store"].id) is None


# ---- who may enter --------------------------------------------------------------------------

ROUTES = [
    ("get", "/platform/finance"),
    ("get", "/platform/finance/withdrawals"),
    ("get", "/platform/finance/stores"),
    ("get", "/platform/finance/stores/export.xlsx"),
    ("get", "/platform/finance/settings"),
    ("get", "/platform/finance/settings/stores"),
    ("get", "/platform/finance/settings/categories"),
]


def test_other_portals_people_are_kept_out(world, client, login):
    w = world["withdrawal"]
    routes = [
        *ROUTES,
        ("get", f"/platform/finance/withdrawals/{w.id}"),
        ("post", f"/platform/finance/withdrawals/{w.id}/approve"),
        ("get", f"/platform/finance/accounts/{world['store_account']}"),
        ("post", f"/platform/finance/accounts/{world['store_account']}/fine"),
        ("post", "/platform/finance/settings"),
    ]
    for person in (world["owner"], world["rider"], make_buyer()):
        other = client.application.test_client()
        login(person, test_client=other)
        for method, url in routes:
            answer = getattr(other, method)(
                url, data={"confirmed": "1"} if method == "post" else None
            )
            assert answer.status_code in (403, 404), (person.name, url, answer.status_code)
    db.session.expire_all()
    assert db.session.get(Withdrawal, w.id).status == WithdrawalStatus.REQUESTED
    anonymous = client.application.test_client().get("/platform/finance")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
