"""The rider's money on the phone (SPEC §9): 我的 shows the ledger's figures and the last 30
days by day; 提现 under the same rules as a store; the records and the payout account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.clock import local_today
from app.delivery.models import DeliveryTask
from app.extensions import db
from app.finance.ledger import Line, platform_account_id, post, rider_account_id
from app.finance.models import Bucket, EntryKind, Withdrawal
from app.finance.reports import Balances
from app.finance.withdrawals import (
    PayoutAccount,
    approve_withdrawal,
    mark_withdrawal_paid,
    request_withdrawal,
)
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_user
from tests.support.money import (
    deliver,
    ledger_state,
    operator,
    owned_store,
    paid_order,
    rider_balances,
    set_rules,
)
from tests.unit.payments import standin_fixtures

wechat = standin_fixtures.wechat  # fixture

ALIPAY = {"method": "alipay", "holder": "赵骑手", "account": "13912345678"}
ALIPAY_ACCOUNT = PayoutAccount(**ALIPAY)


def figure(page: str, label: str) -> str:
    found = re.search(rf"<span>{label}</span>\s*<strong[^>]*>([^<]*)</strong>", page)
    assert found, f"no figure labelled {label!r}"
    return found.group(1).strip()


@pytest.fixture
def rider(app, wechat, login):
    """A rider who delivered two online orders today (8 yuan each, settled: the orders
    completed on delivery) and has 3 yuan of commission still waiting for an order."""
    store, owner = owned_store(name="椰城小厨", rider_commission_fen=800)
    product = make_product(store, price_fen=3_000)
    person = make_user(Role.RIDER, name="赵骑手")
    commit()
    for _ in range(2):
        deliver(paid_order(wechat, make_buyer(), product), owner, person)
    post(
        "test:rider-pending",
        EntryKind.DELIVERY_COMMISSION,
        [
            Line(rider_account_id(person.id), Bucket.PENDING, 300),
            Line(platform_account_id(), Bucket.PENDING, -300),
        ],
    )
    commit()
    login(person)
    return person


def test_my_page_shows_the_ledgers_figures(client, rider):
    staff = operator()
    paid = request_withdrawal(actor_of(rider), 600, agreed=True, payout=ALIPAY_ACCOUNT)
    approve_withdrawal(staff, paid)
    mark_withdrawal_paid(staff, paid, "ALI-1")
    commit()

    page = client.get("/rider/me").text

    assert figure(page, "可提现") == "￥10.00"  # 16 settled − 6 withdrawn
    assert figure(page, "待结算佣金") == "￥3.00"
    assert figure(page, "累计收入") == "￥19.00"  # every delivery commission, settled or not
    assert figure(page, "已提现金额") == "￥6.00"
    assert figure(page, "今日送达") == "2 单"
    assert "即将开放" not in page
    assert 'href="/rider/withdraw"' in page


def test_my_page_lists_the_days_of_the_last_30_with_deliveries(client, rider):
    tasks = db.session.execute(select(DeliveryTask).order_by(DeliveryTask.id)).scalars().all()
    tasks[0].delivered_at -= timedelta(days=3)
    commit()
    page = client.get("/rider/me").text
    days = re.search(r'<section class="card" id="delivery-days">(.*?)</section>', page, re.S).group(
        1
    )
    rows = re.findall(r"<td>(\d\d-\d\d)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", days)
    today, three_days_ago = local_today(), local_today() - timedelta(days=3)
    assert rows == [
        (f"{today:%m-%d}", "1 单", "￥8.00"),
        (f"{three_days_ago:%m-%d}", "1 单", "￥8.00"),
    ]  # days without a delivery are left out
    assert "近 30 天" in days
    assert re.search(r"共送达 2 单</span>\s*<strong[^>]*>￥16\.00<", days)


def test_a_delivery_older_than_30_days_leaves_the_history(client, rider):
    tasks = db.session.execute(select(DeliveryTask).order_by(DeliveryTask.id)).scalars().all()
    tasks[0].delivered_at -= timedelta(days=30)
    commit()
    days = re.search(
        r'<section class="card" id="delivery-days">(.*?)</section>',
        client.get("/rider/me").text,
        re.S,
    ).group(1)
    assert re.search(r"共送达 1 单</span>\s*<strong[^>]*>￥8\.00<", days)


def test_a_rider_without_deliveries_sees_zeros_and_what_to_do(app, client, login):
    login(make_user(Role.RIDER))
    page = client.get("/rider/me").text
    assert figure(page, "可提现") == "￥0.00" and figure(page, "累计收入") == "￥0.00"
    assert "近 30 天还没有送达的订单" in page
    assert "还没有提现记录" in client.get("/rider/withdrawals").text


def test_the_rider_withdraws_with_alipay_then_reuses_it(client, rider):
    set_rules(withdraw_interval_days=0)
    form = client.get("/rider/withdraw").text
    assert 'name="holder"' in form and "单笔不低于 ￥5.00" in form and "提现协议" in form

    answer = client.post("/rider/withdraw", data={"amount": "10", "agreed": "y", **ALIPAY})

    assert answer.status_code == 303 and answer.headers["Location"] == "/rider/withdrawals"
    assert rider_balances(rider) == Balances(pending_fen=300, available_fen=600, review_fen=1_000)
    records = client.get("/rider/withdrawals").text
    assert "提现申请已提交" in records and "￥10.00" in records and "139****5678" in records
    assert "待审核" in records

    again = client.get("/rider/withdraw").text
    assert 'name="holder"' not in again and "139****5678" in again
    assert client.post("/rider/withdraw", data={"amount": "5", "agreed": "y"}).status_code == 303
    db.session.expire_all()
    made = db.session.execute(select(Withdrawal).order_by(Withdrawal.id)).scalars().all()
    assert [(w.amount_fen, w.method, w.account_no) for w in made] == [
        (1_000, "alipay", "13912345678"),
        (500, "alipay", "13912345678"),
    ]
    page = client.get("/rider/me").text
    assert figure(page, "可提现") == "￥1.00" and figure(page, "审核中") == "￥15.00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "4"}, "单笔提现金额不得低于 ￥5.00"),
        ({"amount": "50"}, "余额不足：可提现 ￥16.00，本次 ￥50.00"),
        ({"agreed": ""}, "请先阅读并同意提现协议"),
        ({"account": "abc"}, "支付宝账号应为手机号或邮箱"),
    ],
)
def test_a_refused_rider_withdrawal_says_why_and_posts_nothing(client, rider, fields, message):
    before = ledger_state()
    answer = client.post(
        "/rider/withdraw", data={"amount": "10", "agreed": "y", **ALIPAY, **fields}
    )
    assert answer.status_code == 422 and message in answer.text
    assert ledger_state() == before


def test_a_second_rider_withdrawal_inside_the_window_is_refused(client, rider):
    set_rules(withdraw_interval_days=3)
    assert (
        client.post("/rider/withdraw", data={"amount": "5", "agreed": "y", **ALIPAY}).status_code
        == 303
    )
    before = ledger_state()
    answer = client.post("/rider/withdraw", data={"amount": "5", "agreed": "y"})
    due = (local_today() + timedelta(days=3)).isoformat()
    assert answer.status_code == 422
    assert f"3 天内只能提现一次，下次可提现日期：{due}" in answer.text
    assert ledger_state() == before


def test_the_rider_changes_the_payout_account(client, rider):
    answer = client.post(
        "/rider/account",
        data={
            "method": "bank",
            "holder": "赵骑手",
            "account": "6222020200112233445",
            "bank": "农业银行",
        },
    )
    assert answer.status_code == 303
    page = client.get("/rider/account").text
    assert "**** 3445" in page and "6222020200112233445" not in page and "农业银行" in page


def test_a_rider_sees_only_their_own_withdrawals(app, client, rider, login):
    other = make_user(Role.RIDER, name="钱骑手")
    post(
        "test:other-rider",
        EntryKind.DELIVERY_COMMISSION,
        [
            Line(rider_account_id(other.id), Bucket.AVAILABLE, 2_000),
            Line(platform_account_id(), Bucket.AVAILABLE, -2_000),
        ],
    )
    theirs = request_withdrawal(actor_of(other), 1_000, agreed=True, payout=ALIPAY_ACCOUNT)
    commit()
    assert theirs.no not in client.get("/rider/withdrawals").text
