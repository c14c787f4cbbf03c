"""资金 in the store back office (SPEC §9, seed 004 3.7): the four balances, withdrawal records and
资金明细, 去提现 (first time with the bank account, later reusing it), every refusal on the form
with nothing posted, the owner-only rule, the payout account and the statement with its Excel."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.clock import local_today
from app.extensions import db
from app.finance.adjustments import adjust, fine
from app.finance.ledger import Line, platform_account_id, post, store_account_id
from app.finance.models import Bucket, EntryKind, Withdrawal, WithdrawalStatus
from app.finance.reports import Balances
from app.finance.withdrawals import approve_withdrawal, mark_withdrawal_paid, request_withdrawal
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import (
    BANK_CARD,
    complete,
    ledger_state,
    operator,
    owned_store,
    paid_order,
    refund,
    set_rules,
    store_balances,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture

HX = {"HX-Request": "true"}
CARD = {
    "method": "bank",
    "holder": "王老板",
    "account": "6222 0212 3456 7890 123",
    "bank": "中国工商银行海口分行",
}


@pytest.fixture
def shop(app, login):
    """A store, its owner logged in, and 100 yuan withdrawable (a platform adjustment)."""
    store, owner = owned_store(name="椰城小厨")
    staff = operator()
    adjust(staff, store_account_id(store.id), 10_000, "开业补贴")
    commit()
    login(owner)
    return store, owner, staff


def kpi(page: str, name: str) -> str:
    found = re.search(rf'id="kpi-{name}">([^<]*)<', page)
    assert found, f"no figure {name}"
    return found.group(1)


def withdrawals() -> list[Withdrawal]:
    db.session.expire_all()
    return list(db.session.execute(select(Withdrawal).order_by(Withdrawal.id)).scalars())


def ask(client, **fields):
    data = {"amount": "50", "agreed": "y", **fields}
    return client.post("/store/finance/withdraw", data=data)


# ---- the 资金 page ------------------------------------------------------------------------------


def test_the_finance_page_shows_the_four_balances_and_the_records(client, shop):
    store, owner, staff = shop
    set_rules(withdraw_interval_days=0)
    account_id = store_account_id(store.id)
    post(  # an online order not completed yet: 不可提现
        "test:pending",
        EntryKind.SALE,
        [
            Line(account_id, Bucket.PENDING, 3_000),
            Line(platform_account_id(), Bucket.PENDING, -3_000),
        ],
    )
    paid = request_withdrawal(actor_of(owner), 2_000, agreed=True, payout=BANK_CARD)
    approved = request_withdrawal(actor_of(owner), 1_000, agreed=True)
    request_withdrawal(actor_of(owner), 500, agreed=True)
    approve_withdrawal(staff, paid)
    mark_withdrawal_paid(staff, paid, "BANK-001")
    approve_withdrawal(staff, approved)
    commit()

    page = client.get("/store/finance").text

    assert kpi(page, "available") == "￥65.00"
    assert kpi(page, "payout") == "￥10.00"
    assert "审核中 ￥5.00" in page
    assert kpi(page, "pending") == "￥30.00"
    assert kpi(page, "withdrawn") == "￥20.00"
    assert 'href="/store/finance/withdraw"' in page and "去提现" in page
    assert page.count("**** 3445") == 3 and "6222020200112233445" not in page  # masked
    assert "已打款" in page and "待打款" in page and "待审核" in page
    paid_only = client.get("/store/finance?state=paid").text
    assert paid.no in paid_only and approved.no not in paid_only


def test_the_records_filter_by_method_and_htmx_gets_the_table_only(client, shop):
    store, owner, _ = shop
    request_withdrawal(actor_of(owner), 2_000, agreed=True, payout=BANK_CARD)
    commit()
    answer = client.get("/store/finance?method=alipay", headers=HX)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="finance-table">')
    assert "没有符合条件的提现记录" in answer.text


def test_the_entries_show_kinds_orders_and_the_platforms_reason(app, client, shop, wechat):
    store, owner, staff = shop
    product = make_product(store, price_fen=10_000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    fine(staff, store_account_id(store.id), 1_500, "虚假发货，按规则罚款")
    commit()

    page = client.get("/store/finance?tab=entries").text

    assert "资金明细" in page
    assert "罚款" in page and "虚假发货，按规则罚款" in page
    assert "调账" in page and "开业补贴" in page
    assert "订单收入" in page and f'href="/store/orders/{order.id}">{order.no}</a>' in page
    fines = client.get("/store/finance?tab=entries&kind=fine").text
    assert "虚假发货，按规则罚款" in fines and "开业补贴" not in fines
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    later = client.get(f"/store/finance?tab=entries&start={tomorrow}").text
    assert "没有符合条件的资金明细" in later


def test_a_store_without_money_sees_zeros_and_what_to_do(client, app, login):
    store, owner = owned_store()
    commit()
    login(owner)
    page = client.get("/store/finance").text
    assert kpi(page, "available") == "￥0.00"
    assert "还没有提现记录" in page
    assert "还没有资金明细" in client.get("/store/finance?tab=entries").text


# ---- 去提现 -------------------------------------------------------------------------------------


def test_the_withdraw_page_shows_the_rules_and_the_agreement(client, shop):
    set_rules(withdraw_interval_days=5, withdraw_min_fen=1_000)
    page = client.get("/store/finance/withdraw").text
    assert "单笔不低于 ￥10.00" in page and "每 5 天可提现一次" in page and "今天即可提现" in page
    assert "提现金额从可提现余额中扣除" in page  # the platform's agreement
    assert 'name="holder"' in page  # the first request asks for the payout account
    assert re.search(r'name="request_key" value="[0-9a-f]{32}"', page)


def test_the_first_withdrawal_saves_the_bank_account(client, shop):
    store, owner, _ = shop
    answer = ask(client, **CARD)
    assert answer.status_code == 303 and answer.headers["Location"] == "/store/finance"

    [made] = withdrawals()
    assert (made.amount_fen, made.status, made.method) == (
        5_000,
        WithdrawalStatus.REQUESTED,
        "bank",
    )
    assert (made.account_no, made.account_name) == ("6222021234567890123", "王老板")
    assert store_balances(store) == Balances(available_fen=5_000, review_fen=5_000)
    page = client.get("/store/finance").text
    assert "提现申请已提交，等待平台审核" in page
    assert made.no in page and "**** 0123" in page and "6222021234567890123" not in page
    assert kpi(page, "available") == "￥50.00"


def test_the_second_withdrawal_reuses_the_account(client, shop):
    set_rules(withdraw_interval_days=0)
    ask(client, **CARD)
    page = client.get("/store/finance/withdraw").text
    assert 'name="holder"' not in page and "**** 0123" in page and "更换" in page

    assert ask(client, amount="20.50").status_code == 303

    first, second = withdrawals()
    assert second.amount_fen == 2_050
    assert (second.method, second.account_no, second.bank) == (
        first.method,
        first.account_no,
        first.bank,
    )


def test_the_same_form_sent_twice_asks_once(client, shop):
    set_rules(withdraw_interval_days=0)
    key = re.search(
        r'name="request_key" value="([0-9a-f]+)"', client.get("/store/finance/withdraw").text
    ).group(1)
    first = ask(client, request_key=key, **CARD)
    again = ask(client, request_key=key, **CARD)
    assert first.status_code == again.status_code == 303
    assert len(withdrawals()) == 1


def _negative(store, staff):
    fine(staff, store_account_id(store.id), 12_000, "超时未发货罚款")
    commit()


def _too_soon(store, owner):
    set_rules(withdraw_interval_days=5)
    request_withdrawal(actor_of(owner), 1_000, agreed=True, payout=BANK_CARD)
    commit()


@pytest.mark.parametrize(
    ("setup", "fields", "message"),
    [
        (None, {"amount": "4.99"}, "单笔提现金额不得低于 ￥5.00"),
        (None, {"amount": "0"}, "提现金额须大于 0"),
        (None, {"amount": "12.345"}, "请填写提现金额（元），最多两位小数"),
        (None, {"amount": "1000"}, "余额不足：可提现 ￥100.00，本次 ￥1,000.00"),
        ("negative", {}, "可提现余额为 -￥20.00（退款或罚款扣回），补足前不能提现"),
        ("too_soon", {}, "5 天内只能提现一次，下次可提现日期："),
        (None, {"agreed": ""}, "请先阅读并同意提现协议"),
        (None, {"account": "6222 12"}, "银行卡号应为 12–19 位数字"),
        (None, {"bank": ""}, "请填写开户银行"),
        (None, {"holder": "1"}, "请填写收款人姓名"),
        (None, {"method": "paypal"}, "请选择提现方式"),
        (None, {"method": "alipay", "account": "not-an-account"}, "支付宝账号应为手机号或邮箱"),
        ("off", {}, "平台暂未开放提现"),
    ],
)
def test_a_refused_withdrawal_says_why_and_posts_nothing(client, shop, setup, fields, message):
    store, owner, staff = shop
    if setup == "negative":
        _negative(store, staff)
    elif setup == "too_soon":
        _too_soon(store, owner)
    elif setup == "off":
        set_rules(withdrawals_enabled=False)
    before = ledger_state()

    answer = ask(client, **{**CARD, **fields})

    assert answer.status_code == 422
    assert message in answer.text
    assert ledger_state() == before


def test_a_refusal_over_htmx_returns_the_form_with_the_message_under_the_field(client, shop):
    answer = client.post(
        "/store/finance/withdraw", data={"amount": "1", "agreed": "y", **CARD}, headers=HX
    )
    assert answer.status_code == 422
    assert answer.text.lstrip().startswith('<section class="panel" id="withdraw-form">')
    assert '<p class="field-error">单笔提现金额不得低于 ￥5.00</p>' in answer.text
    assert 'value="1"' in answer.text and "王老板" in answer.text  # what was typed stays


def test_a_malformed_account_does_not_hide_what_else_is_wrong(client, shop):
    before = ledger_state()
    answer = ask(client, amount="1", **{**CARD, "holder": ""})
    assert answer.status_code == 422
    assert "单笔提现金额不得低于 ￥5.00" in answer.text and "请填写收款人姓名" in answer.text
    assert ledger_state() == before


def test_the_next_date_shows_after_a_withdrawal(client, shop):
    set_rules(withdraw_interval_days=5)
    ask(client, **CARD)
    due = (local_today() + timedelta(days=5)).isoformat()
    assert f"下次可提现日期：{due}" in client.get("/store/finance").text
    assert f"{due} 起可再次提现" in client.get("/store/finance/withdraw").text


def test_when_withdrawals_are_off_the_pages_say_so(client, shop):
    set_rules(withdrawals_enabled=False)
    page = client.get("/store/finance").text
    assert "平台暂未开放提现" in page and 'href="/store/finance/withdraw"' not in page
    form = client.get("/store/finance/withdraw").text
    assert "平台暂未开放提现" in form and re.search(r"<button[^>]*disabled[^>]*>提交提现申请", form)


# ---- only the owner ------------------------------------------------------------------------------


def test_a_clerk_sees_the_figures_but_cannot_withdraw_or_change_the_account(app, shop, login):
    store, owner, _ = shop
    clerk = make_user(Role.STORE_STAFF, store=store, name="小陈")
    commit()
    theirs = app.test_client()
    login(clerk, test_client=theirs)

    page = theirs.get("/store/finance").text
    assert kpi(page, "available") == "￥100.00"
    assert "去提现" not in page and "只有店主或骑手本人可以申请提现和修改收款账户" in page
    assert 'name="amount"' not in theirs.get("/store/finance/withdraw").text
    before = ledger_state()

    answer = theirs.post("/store/finance/withdraw", data={"amount": "50", "agreed": "y", **CARD})
    changed = theirs.post("/store/finance/account", data=CARD)

    assert answer.status_code == changed.status_code == 422
    assert "只有店主或骑手本人可以申请提现和修改收款账户" in answer.text
    assert "只有店主或骑手本人可以申请提现和修改收款账户" in changed.text
    assert ledger_state() == before


def test_another_stores_withdrawal_answers_404(app, client, shop, login):
    store, owner, _ = shop
    mine = request_withdrawal(actor_of(owner), 2_000, agreed=True, payout=BANK_CARD)
    other_store, other_owner = owned_store(name="别家小店")
    adjust(operator(), store_account_id(other_store.id), 5_000, "补贴")
    theirs = request_withdrawal(actor_of(other_owner), 1_000, agreed=True, payout=BANK_CARD)
    commit()

    own = client.get(f"/store/finance/withdrawals/{mine.id}")
    assert own.status_code == 200 and mine.no in own.text and "**** 3445" in own.text
    assert client.get(f"/store/finance/withdrawals/{theirs.id}").status_code == 404
    assert theirs.no not in client.get("/store/finance").text


# ---- 收款账户 -------------------------------------------------------------------------------------


def test_the_owner_changes_the_payout_account(client, shop):
    ask(client, **CARD)
    page = client.get("/store/finance/account").text
    assert "**** 0123" in page and "6222021234567890123" not in page

    answer = client.post(
        "/store/finance/account",
        data={"method": "alipay", "holder": "王老板", "account": "13812345678"},
    )

    assert answer.status_code == 303
    page = client.get("/store/finance/account").text
    assert "收款账户已更新" in page and "138****5678" in page and "支付宝" in page
    [asked] = withdrawals()
    assert asked.method == "bank"  # a request already made keeps its account


def test_a_malformed_payout_account_is_refused_under_its_field(client, shop):
    before = ledger_state()
    answer = client.post("/store/finance/account", data={**CARD, "account": "abc"})
    assert answer.status_code == 422
    assert '<p class="field-error">银行卡号应为 12–19 位数字</p>' in answer.text
    assert ledger_state() == before


# ---- 对账单 ---------------------------------------------------------------------------------------


@pytest.fixture
def month(app, wechat, login):
    """An order of 100 yuan paid online, completed, 20 yuan refunded; 50 yuan withdrawn."""
    store, owner = owned_store(name="椰城小厨")
    product = make_product(store, price_fen=10_000)
    commit()
    order = paid_order(wechat, make_buyer(), product)
    complete(order, owner)
    refund(order, 2_000)
    staff = operator()
    paid = request_withdrawal(actor_of(owner), 5_000, agreed=True, payout=BANK_CARD)
    approve_withdrawal(staff, paid)
    mark_withdrawal_paid(staff, paid, "BANK-778")
    commit()
    login(owner)
    return store, order, paid


def _period() -> str:
    today = local_today()
    return f"start={today.replace(day=1).isoformat()}&end={today.isoformat()}"


def test_the_statement_shows_balances_kinds_orders_and_payouts(client, month):
    store, order, paid = month
    page = client.get("/store/finance/statement").text  # this month by default
    assert "期初余额" in page and "期末余额" in page
    assert f'href="/store/orders/{order.id}">{order.no}</a>' in page
    # 100 − 5 % commission − 20 refunded + 1 commission back = 76; then 50 withdrawn
    for figure in ("￥100.00", "-￥5.00", "-￥20.00", "￥1.00", "￥76.00", "￥26.00", "-￥50.00"):
        assert figure in page, figure
    assert paid.no in page and "BANK-778" in page


def test_the_statement_downloads_as_excel_with_the_right_totals(client, month):
    store, order, paid = month
    answer = client.get(f"/store/finance/statement?{_period()}&format=xlsx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in answer.headers["Content-Disposition"]

    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0]}

    def fen(value) -> int:
        return round(value * 100)

    assert rows["店铺"][0] == "椰城小厨"
    assert fen(rows["期初余额"][0]) == 0 and fen(rows["期末余额"][0]) == 2_600
    assert fen(rows["本期已提现"][0]) == 5_000
    assert [fen(v) for v in rows[order.no][:7]] == [10_000, -500, 0, -2_000, 100, 0, 7_600]
    assert fen(rows["合计"][6]) == 7_600
    assert fen(rows[paid.no][2]) == 5_000 and rows[paid.no][3] == "BANK-778"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01&end=2026-12-31", "日期格式如 2026-11-01"),
        ("start=yesterday&end=2026-12-31", "日期格式如 2026-11-01"),
        ("start=2026-12-01&end=2026-11-01", "开始日期不能晚于结束日期"),
        ("start=2025-01-01&end=2026-01-02", "对账期间最长 366 天"),
        ("start=2025-01-01&end=2026-01-02&format=xlsx", "对账期间最长 366 天"),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(client, shop, query, message):
    answer = client.get(f"/store/finance/statement?{query}")
    assert answer.status_code == 422
    assert message in answer.text


def test_a_full_leap_year_is_a_valid_period(client, shop):
    assert client.get("/store/finance/statement?start=2024-01-01&end=2024-12-31").status_code == 200


def test_the_sidebar_links_to_the_finance_page(client, shop):
    page = client.get("/store/finance/statement").text
    assert re.search(r'<a href="/store/finance" class="active"[^>]*>.*资金</a>', page)
