"""财务 for the platform (SPEC §9, seed 004 §2.5): the overview of the money with a chart of daily
payments and refunds, withdrawals to approve, reject and mark paid, each store's money (with an
Excel export), one store's or rider's account with its entries, fines and adjustments, and the
money rules: the default commission rate, a store's and a category's own rate, the withdrawal
rules and agreement. Operators act; customer service reads.

The ledger, its balances and every move of money are app/finance's; this module reads through
`reports` and acts through `withdrawals` and `adjustments`. The small writes that domain does
not have yet (setting and clearing a store's or a category's own rate, saving the settings row)
live here, checked with the domain's own `check_bp` and refusing anyone but an operator.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import delete, func, or_, select

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.catalog.library import category_tree, walk
from app.catalog.models import Category
from app.clock import local_day_start, local_today
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.finance.adjustments import ONLY_OPERATOR, adjust, fine
from app.finance.commission import check_bp
from app.finance.models import (
    BUCKET_LABELS,
    ENTRY_KIND_LABELS,
    PAYOUT_METHOD_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    AccountKind,
    CategoryCommissionRate,
    LedgerAccount,
    PayoutMethod,
    StoreCommissionRate,
    Withdrawal,
    WithdrawalStatus,
)
from app.finance.reports import (
    Balances,
    Overview,
    StoreTotals,
    account_entries,
    daily_series,
    overview,
    store_totals,
)
from app.finance.settings import finance_settings
from app.finance.withdrawals import (
    WITHDRAWAL_MACHINE,
    approve_withdrawal,
    mark_withdrawal_paid,
    reject_withdrawal,
    withdrawal_visible_to,
    withdrawals_visible_to,
)
from app.i18n_markers import N_
from app.messages import define, mask_phone
from app.money import format_fen
from app.stores.export import FORMULA_STARTS, file_chunks, remove_file
from app.stores.models import Store
from app.upsert import upsert_into
from app.web.i18n import translate
from app.web.layout_facts import layout_fact
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .finance_forms import (
    ACCOUNT_KINDS,
    WITHDRAWAL_FORMS,
    AdjustForm,
    ApproveForm,
    ClearRateForm,
    EntryFilterForm,
    FinanceSettingsForm,
    FineForm,
    MoneyForm,
    PaidForm,
    PeriodForm,
    RateForm,
    RejectForm,
    StoreRateFilterForm,
    WithdrawalFilterForm,
)
from .views import bp

__all__ = ["bp"]

W = WithdrawalStatus
PER_PAGE = 50
ENTRIES_PER_PAGE = 30
ACCOUNT_WITHDRAWALS = 20
EARLIEST = date(2000, 1, 1)  # an entries filter with only an end date starts here
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

OPERATORS_ONLY = define("finance_settings_operators", N_("只有平台运营可以修改财务设置和佣金比例"))
STATUS_BADGES = {
    W.REQUESTED: "waiting",
    W.APPROVED: "shipped",
    W.REJECTED: "closed",
    W.PAID: "completed",
}


def percent_text(bp: int) -> str:
    """Basis points as the percent a person types: 525 → "5.25"."""
    return f"{bp // 100}.{bp % 100:02d}"


def yuan_text(fen: int) -> str:
    """Fen as the yuan a person types (no thousands separator): 50000 → "500.00"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _safe_back(value: str | None, default: str) -> str:
    """Where a form returns to: a path of the finance pages, never another host."""
    value = value or ""
    base = url_for(".finance")
    parts = urlsplit(value)
    inside = value == base or value.startswith((base + "/", base + "?"))
    if inside and not parts.scheme and not parts.netloc and len(value) <= 500:
        return value.rstrip("?")
    return default


def _list_back(default: str) -> str:
    """The list page a row's form returns to: this GET's own address with its filters, or
    (re-drawn after a refused POST) the address the form carried."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return _safe_back(request.form.get("back"), default)


# ---- the sidebar's count --------------------------------------------------------------------


@layout_fact("platform", "withdrawals_waiting")
def _withdrawals_waiting(_actor):
    return select(func.count()).select_from(Withdrawal).where(Withdrawal.status == W.REQUESTED)


# ---- 财务概况: the figures and the chart --------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 960, 260
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 64, 950, 14, 226
TICKS = 4
MAX_DAY_LABELS = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "paid" or "refund": the CSS class
    title: str  # what a pointer resting on the bar shows


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # y, yuan
    day_labels: list[tuple[float, str]]  # x, "01-31"
    rows: list[tuple[date, int, int]]  # the table fallback: day, paid, refunded
    paid_fen: int
    refunded_fen: int
    label: str  # aria-label
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def _step(highest_fen: int) -> int:
    """The gridline step in fen: 1, 2 or 5 × a power of ten, at least one yuan, so that TICKS
    steps reach the highest bar."""
    raw = max(-(-highest_fen // TICKS), 100)
    magnitude = 10 ** (len(str(raw)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _axis_yuan(fen: int) -> str:
    text = format_fen(fen, symbol="")
    return text[:-3] if text.endswith(".00") else text


def daily_chart(series: list[tuple[date, int, int]], start: date, end: date) -> Chart:
    """Two bars a day (payments, refunds) on a yuan axis, laid out for an inline <svg>."""
    highest = max((max(paid, refunded) for _, paid, refunded in series), default=0)
    step = _step(highest)
    top_fen = step * TICKS
    plot_h, plot_w = PLOT_BOTTOM - PLOT_TOP, PLOT_RIGHT - PLOT_LEFT

    def y_of(fen: int) -> float:
        return round(PLOT_BOTTOM - fen * plot_h / top_fen, 2)

    group = plot_w / max(len(series), 1)
    width = max(round(group * 0.36, 2), 0.5)
    every = max(1, -(-len(series) // MAX_DAY_LABELS))
    bars, day_labels = [], []
    for n, (day, paid, refunded) in enumerate(series):
        x = PLOT_LEFT + n * group + group * 0.14
        shown = day.strftime("%m-%d")
        for offset, kind, fen, text in (
            (0.0, "paid", paid, _("%(day)s 付款 %(amount)s", day=shown, amount=format_fen(paid))),
            (
                width,
                "refund",
                refunded,
                _("%(day)s 退款 %(amount)s", day=shown, amount=format_fen(refunded)),
            ),
        ):
            if fen:
                top = y_of(fen)
                bars.append(
                    Bar(round(x + offset, 2), top, width, round(PLOT_BOTTOM - top, 2), kind, text)
                )
        if n % every == 0:
            day_labels.append((round(PLOT_LEFT + (n + 0.5) * group, 2), shown))
    paid_total = sum(paid for _, paid, _ in series)
    refunded_total = sum(refunded for _, _, refunded in series)
    label = _(
        "每日在线支付与退款柱状图，%(start)s 至 %(end)s：支付合计 %(paid)s，退款合计 %(refunded)s",
        start=start.isoformat(),
        end=end.isoformat(),
        paid=format_fen(paid_total),
        refunded=format_fen(refunded_total),
    )
    ticks = [(y_of(step * n), _axis_yuan(step * n)) for n in range(TICKS + 1)]
    return Chart(bars, ticks, day_labels, series, paid_total, refunded_total, label)


@bp.get("/finance")
def finance():
    form = PeriodForm(request.args)
    valid = form.validate()
    start, end = form.period()
    return render_page_or_block(
        "platform/finance.html",
        "overview",
        status=200 if valid else 422,
        form=form,
        start=start,
        end=end,
        figures=overview(start, end),
        chart=daily_chart(daily_series(start, end), start, end),
    )


# ---- 提现管理 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawalRow:
    w: Withdrawal
    kind: str
    owner: str  # the store's or the rider's name
    store_id: int | None

    @property
    def masked_account(self) -> str:
        return masked_account(self.w.method, self.w.account_no)


def masked_account(method: str, number: str) -> str:
    """What a list shows of a payout account: a card's last four digits, a phone's middle
    hidden, an e-mail's or WeChat id's middle hidden (the whole number is on the request's page,
    for the operator who pays it)."""
    number = number or ""
    if method == PayoutMethod.BANK:
        return f"**** {number[-4:]}"
    if number.isdigit() and len(number) == 11:
        return mask_phone(number)
    if "@" in number:
        name, _, domain = number.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{number[:2]}***{number[-2:]}" if len(number) > 4 else "***"


def _withdrawal_query():
    return (
        withdrawals_visible_to(g.actor)
        .join(LedgerAccount, LedgerAccount.id == Withdrawal.account_id)
        .outerjoin(Store, Store.id == LedgerAccount.store_id)
        .outerjoin(User, User.id == LedgerAccount.rider_id)
        .add_columns(
            LedgerAccount.kind,
            LedgerAccount.store_id,
            Store.name.label("store_name"),
            User.name.label("rider_name"),
        )
    )


def _as_row(row) -> WithdrawalRow:
    withdrawal, kind, store_id, store_name, rider_name = row
    owner = store_name if kind == AccountKind.STORE else rider_name
    return WithdrawalRow(withdrawal, kind, owner or "", store_id)


def _withdrawal_rows(form: WithdrawalFilterForm):
    query = _withdrawal_query().order_by(Withdrawal.id.desc())
    if status := form.chosen("status", WITHDRAWAL_STATUS_LABELS):
        query = query.where(Withdrawal.status == status)
    if method := form.chosen("method", PAYOUT_METHOD_LABELS):
        query = query.where(Withdrawal.method == method)
    if kind := form.chosen("kind", ACCOUNT_KINDS):
        query = query.where(LedgerAccount.kind == kind)
    if form.keyword:
        query = query.where(
            or_(
                Store.name.contains(form.keyword, autoescape=True),
                User.name.contains(form.keyword, autoescape=True),
            )
        )
    start, end = form.given_period()
    if start:
        query = query.where(Withdrawal.created_at >= local_day_start(start))
    if end:
        query = query.where(Withdrawal.created_at < local_day_start(end + timedelta(days=1)))
    page = paginate(query, PER_PAGE, as_rows=True)
    page.items = [_as_row(row) for row in page.items]
    return page


def _status_counts() -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Withdrawal.status, func.count()).group_by(Withdrawal.status)
        ).all()
    )


def _may_act() -> bool:
    return g.actor.role == Role.OPERATOR


def _blank_forms() -> dict:
    return {
        "approve": ApproveForm(formdata=None),
        "reject": RejectForm(formdata=None),
        "pay": PaidForm(formdata=None),
    }


def _withdrawal_context() -> dict:
    return {
        "status_labels": WITHDRAWAL_STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "method_labels": PAYOUT_METHOD_LABELS,
        "kind_labels": ACCOUNT_KINDS,
        "may_act": _may_act(),
    }


@bp.get("/finance/withdrawals")
def finance_withdrawals():
    form = WithdrawalFilterForm(request.args)
    valid = form.validate()
    return render_page_or_block(
        "platform/finance_withdrawals.html",
        "withdrawals_table",
        status=200 if valid else 422,
        form=form,
        page=_withdrawal_rows(form),
        counts=_status_counts(),
        forms=_blank_forms(),
        back=_list_back(url_for(".finance_withdrawals")),
        **_withdrawal_context(),
    )


def _withdrawal_or_404(withdrawal_id: int) -> Withdrawal:
    return withdrawal_visible_to(g.actor, withdrawal_id) or abort(404)


def _withdrawal_page(
    withdrawal: Withdrawal,
    status: int = 200,
    forms: dict | None = None,
    confirming: str = "",
    problem: str = "",
    back: str = "",
):
    row = _as_row(
        db.session.execute(_withdrawal_query().where(Withdrawal.id == withdrawal.id)).one()
    )
    account = db.session.get(LedgerAccount, withdrawal.account_id)
    people = {
        user.id: user.name
        for user in db.session.execute(
            select(User).where(
                User.id.in_([withdrawal.requested_by, withdrawal.decided_by, withdrawal.paid_by])
            )
        ).scalars()
    }
    return render_page_or_block(
        "platform/finance_withdrawal.html",
        "withdrawal_detail",
        status=status,
        row=row,
        w=withdrawal,
        account=account,
        balances=Balances.of(account),
        people=people,
        forms={**_blank_forms(), **(forms or {})},
        confirming=confirming,
        problem=problem,
        back=back or url_for(".finance_withdrawal", withdrawal_id=withdrawal.id),
        **_withdrawal_context(),
    )


@bp.get("/finance/withdrawals/<int:withdrawal_id>")
def finance_withdrawal(withdrawal_id: int):
    return _withdrawal_page(_withdrawal_or_404(withdrawal_id))


# the action → (the status it moves to, the domain's verb, what the person reads when done)
ACTIONS = {
    "approve": (
        W.APPROVED,
        approve_withdrawal,
        N_("已通过提现申请 %(no)s，请线下打款后点「确认打款」"),
    ),
    "reject": (W.REJECTED, reject_withdrawal, N_("已拒绝提现申请 %(no)s，金额已退回可提现")),
    "pay": (W.PAID, mark_withdrawal_paid, N_("提现 %(no)s 已确认打款")),
}


def _refused_withdrawal(withdrawal: Withdrawal, action: str, form, status: int, problem: str = ""):
    """The refusal where the person looks: the list's row (htmx from the list) or the page."""
    db.session.refresh(withdrawal)
    if request.htmx and request.htmx.target == f"withdrawal-{withdrawal.id}":
        row = _as_row(
            db.session.execute(_withdrawal_query().where(Withdrawal.id == withdrawal.id)).one()
        )
        html = render_template(
            "platform/finance_withdrawal_row.html",
            row=row,
            forms={**_blank_forms(), action: form},
            problem=problem,
            back=_safe_back(form.back.data, url_for(".finance_withdrawals")),
            **_withdrawal_context(),
        )
        return html, status
    return _withdrawal_page(
        withdrawal,
        status,
        forms={action: form},
        problem=problem,
        back=_safe_back(form.back.data, ""),
    )


@bp.post("/finance/withdrawals/<int:withdrawal_id>/<any(approve, reject, pay):action>")
def finance_withdrawal_act(withdrawal_id: int, action: str):
    """Approve, reject (a reason) or mark paid (the transfer's reference). Without htmx's
    confirm dialog the first POST answers a confirm step; the domain settles a double tap."""
    withdrawal = _withdrawal_or_404(withdrawal_id)
    form = WITHDRAWAL_FORMS[action]()
    to, verb, done = ACTIONS[action]
    if not form.validate_on_submit():
        return _refused_withdrawal(withdrawal, action, form, 422)
    detail = [form.reason.data] if action == "reject" else []
    detail += [form.reference.data] if action == "pay" else []
    try:
        WITHDRAWAL_MACHINE.guard(withdrawal.status, to, g.actor.role)  # before asking to confirm
        if not form.is_confirmed:
            back = _safe_back(form.back.data, "")
            return _withdrawal_page(withdrawal, forms={action: form}, confirming=action, back=back)
        verb(g.actor, withdrawal, *detail)
    except DomainError as error:
        if isinstance(error, Forbidden):
            raise  # the error layer says it (customer service may look, not act)
        discard_work()
        return _refused_withdrawal(
            withdrawal, action, form, error.status_code, render_message(error.msg)
        )
    back = _safe_back(form.back.data, url_for(".finance_withdrawals"))
    return see_other(back, translate(done) % {"no": withdrawal.no})


# ---- 店铺资金 and its export -------------------------------------------------------------------


def _stores_page(form: PeriodForm, status: int = 200):
    totals = store_totals()
    return render_page_or_block(
        "platform/finance_stores.html",
        "store_totals",
        status=status,
        form=form,
        totals=totals,
        sums=_sums(totals),
    )


def _sums(totals: list[StoreTotals]) -> dict[str, int]:
    names = ("withdrawals", "paid_out_fen", "available_fen", "pending_fen", "payout_fen")
    return {name: sum(getattr(row, name) for row in totals) for name in names}


@bp.get("/finance/stores")
def finance_stores():
    form = PeriodForm(request.args)
    return _stores_page(form, 200 if form.validate() else 422)


OVERVIEW_LINES = (
    ("paid_out_fen", N_("已打款（区间内）")),
    ("payout_fen", N_("待打款")),
    ("available_fen", N_("待提现（可提现）")),
    ("pending_fen", N_("不可提现")),
    ("review_fen", N_("审核中")),
    ("payments_fen", N_("在线支付金额")),
    ("refunds_fen", N_("退款金额")),
    ("commission_fen", N_("平台佣金")),
)
STORE_HEADERS = (
    N_("店铺"),
    N_("提现笔数"),
    N_("已打款"),
    N_("待提现"),
    N_("不可提现"),
    N_("待打款"),
)


def _text_cell(value: str) -> str:
    """A name a person typed stays text in Excel, never a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_store_totals_xlsx(
    start: date, end: date, figures: Overview, totals: list[StoreTotals]
) -> str:
    """The overview for the period and every store's money, as an .xlsx file on disk (the
    caller streams and removes it). Amounts are numbers in yuan (exact: Decimal, two places)."""
    workbook = Workbook(write_only=True)

    def yuan(sheet, fen: int) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=Decimal(fen) / 100)
        cell.number_format = "#,##0.00"
        return cell

    summary = workbook.create_sheet(translate(N_("资金概况")))
    summary.append([translate(N_("统计区间")), f"{start.isoformat()} ~ {end.isoformat()}"])
    for name, label in OVERVIEW_LINES:
        summary.append([translate(label), yuan(summary, getattr(figures, name))])
    stores = workbook.create_sheet(translate(N_("店铺资金")))
    stores.append([translate(header) for header in STORE_HEADERS])
    for row in totals:
        stores.append(
            [
                _text_cell(row.store_name),
                row.withdrawals,
                yuan(stores, row.paid_out_fen),
                yuan(stores, row.available_fen),
                yuan(stores, row.pending_fen),
                yuan(stores, row.payout_fen),
            ]
        )
    sums = _sums(totals)
    stores.append(
        [
            translate(N_("合计")),
            sums["withdrawals"],
            *(
                yuan(stores, sums[n])
                for n in ("paid_out_fen", "available_fen", "pending_fen", "payout_fen")
            ),
        ]
    )
    handle, path = tempfile.mkstemp(prefix="store-money-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
    except BaseException:
        remove_file(path)
        raise
    return path


@bp.get("/finance/stores/export.xlsx")
def finance_stores_export():
    form = PeriodForm(request.args)
    if not form.validate():
        return _stores_page(form, 422)
    start, end = form.period()
    path = write_store_totals_xlsx(start, end, overview(start, end), store_totals())
    response = Response(file_chunks(path), mimetype=XLSX)
    response.call_on_close(lambda: remove_file(path))
    filename = f"store-money-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- one account: balances, entries, fines and adjustments ----------------------------------


@dataclass(frozen=True)
class Owner:
    kind: str
    name: str
    phone: str
    store_id: int | None


def _account_or_404(account_id: int) -> LedgerAccount:
    """A store's or a rider's account; the platform's own is not a page (404)."""
    account = db.session.get(LedgerAccount, account_id)
    if account is None or account.kind not in ACCOUNT_KINDS:
        abort(404)
    return account


def _owner(account: LedgerAccount) -> Owner:
    if account.kind == AccountKind.STORE:
        store = db.session.get(Store, account.store_id)
        return Owner(account.kind, store.name, store.phone or "", store.id)
    rider = db.session.get(User, account.rider_id)
    return Owner(account.kind, rider.name, rider.phone, None)


def _account_page(
    account: LedgerAccount,
    status: int = 200,
    fine_form: MoneyForm | None = None,
    adjust_form: MoneyForm | None = None,
    confirming: str = "",
    problem: str = "",
):
    filters = EntryFilterForm(request.args)
    filters_ok = filters.validate()
    start, end = filters.given_period()
    if start or end:  # one end given: from the beginning, or up to today
        start, end = start or EARLIEST, end or local_today()
    query = account_entries(account.id, filters.entry_kind or None, start, end)
    withdrawals = db.session.execute(
        select(Withdrawal)
        .where(Withdrawal.account_id == account.id)
        .order_by(Withdrawal.id.desc())
        .limit(ACCOUNT_WITHDRAWALS)
    ).scalars()
    return render_page_or_block(
        "platform/finance_account.html",
        "account_detail",
        status=status if filters_ok else 422,
        account=account,
        owner=_owner(account),
        balances=Balances.of(account),
        filters=filters,
        page=paginate(query, ENTRIES_PER_PAGE, as_rows=True),
        withdrawals=list(withdrawals),
        fine_form=fine_form or FineForm.fresh(),
        adjust_form=adjust_form or AdjustForm.fresh(),
        confirming=confirming,
        problem=problem,
        entry_labels=ENTRY_KIND_LABELS,
        bucket_labels=BUCKET_LABELS,
        **_withdrawal_context(),
    )


@bp.get("/finance/accounts/<int:account_id>")
def finance_account(account_id: int):
    return _account_page(_account_or_404(account_id))


MONEY_ACTIONS = {
    "fine": (FineForm, fine, N_("已罚款 %(amount)s"), N_("这笔罚款已经记过了，没有重复入账")),
    "adjust": (AdjustForm, adjust, N_("已调账 %(amount)s"), N_("这笔调账已经记过了，没有重复入账")),
}


@bp.post("/finance/accounts/<int:account_id>/<any(fine, adjust):action>")
def finance_account_money(account_id: int, action: str):
    """A fine or an adjustment, posted once per form (its one-time key) after a confirmation."""
    account = _account_or_404(account_id)
    form_class, post_it, done, again = MONEY_ACTIONS[action]
    form = form_class()
    forms = {f"{action}_form": form}
    if not form.validate_on_submit():
        return _account_page(account, 422, **forms)
    if g.actor.role != Role.OPERATOR:
        raise Forbidden(ONLY_OPERATOR())
    if not form.is_confirmed:
        return _account_page(account, 200, confirming=action, **forms)
    try:
        posted = post_it(g.actor, account.id, form.fen, form.reason.data, form.request_key.data)
    except DomainError as error:
        if isinstance(error, Forbidden):
            raise
        discard_work()
        return _account_page(account, error.status_code, problem=render_message(error.msg), **forms)
    message = translate(done) % {"amount": format_fen(form.fen)} if posted else translate(again)
    return see_other(url_for(".finance_account", account_id=account.id), message)


# ---- 财务设置: the rules, a store's and a category's own rate -----------------------------------


def _operators_only(actor: Actor) -> None:
    if actor.role != Role.OPERATOR:
        raise Forbidden(OPERATORS_ONLY())


def update_finance_settings(actor: Actor, values: dict[str, object]) -> None:
    """The platform's money rules (each value already checked by the form; the rate again by
    the domain's `check_bp`)."""
    _operators_only(actor)
    check_bp(values["commission_bp"])
    settings = finance_settings()
    for name, value in values.items():
        setattr(settings, name, value)
    db.session.flush()


def set_store_rate(actor: Actor, store_id: int, bp: int) -> None:
    _operators_only(actor)
    check_bp(bp)
    db.session.execute(
        upsert_into(StoreCommissionRate)
        .values(store_id=store_id, bp=bp)
        .on_conflict_do_update(index_elements=["store_id"], set_={"bp": bp})
    )


def clear_store_rate(actor: Actor, store_id: int) -> None:
    _operators_only(actor)
    db.session.execute(delete(StoreCommissionRate).where(StoreCommissionRate.store_id == store_id))


def set_category_rate(actor: Actor, category_id: int, bp: int) -> None:
    _operators_only(actor)
    check_bp(bp)
    db.session.execute(
        upsert_into(CategoryCommissionRate)
        .values(category_id=category_id, bp=bp)
        .on_conflict_do_update(index_elements=["category_id"], set_={"bp": bp})
    )


def clear_category_rate(actor: Actor, category_id: int) -> None:
    _operators_only(actor)
    db.session.execute(
        delete(CategoryCommissionRate).where(CategoryCommissionRate.category_id == category_id)
    )


def _settings_page(form: FinanceSettingsForm | None = None, status: int = 200):
    if form is None:
        settings = finance_settings()
        form = FinanceSettingsForm(
            formdata=None,
            data={
                "commission": percent_text(settings.commission_bp),
                "withdrawals_enabled": settings.withdrawals_enabled,
                "withdraw_min": yuan_text(settings.withdraw_min_fen),
                "withdraw_interval_days": settings.withdraw_interval_days,
                "agreement": settings.agreement,
            },
        )
    return render_page_or_block(
        "platform/finance_settings.html",
        "settings_form",
        status=status,
        form=form,
        may_edit=_may_act(),
    )


@bp.get("/finance/settings")
def finance_settings_page():
    return _settings_page()


@bp.post("/finance/settings")
def finance_settings_save():
    form = FinanceSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    update_finance_settings(g.actor, form.values())
    return see_other(url_for(".finance_settings_page"), _("财务设置已保存"))


def _store_rates_page(status: int = 200, errors: dict | None = None, typed: dict | None = None):
    filters = StoreRateFilterForm(request.args)
    filters.validate()
    query = (
        select(Store.id, Store.name, StoreCommissionRate.bp)
        .outerjoin(StoreCommissionRate, StoreCommissionRate.store_id == Store.id)
        .where(Store.deleted_at.is_(None))
        .order_by(Store.name, Store.id)
    )
    if filters.keyword:
        query = query.where(Store.name.contains(filters.keyword, autoescape=True))
    if filters.own.data == "1":
        query = query.where(StoreCommissionRate.bp.is_not(None))
    return render_page_or_block(
        "platform/finance_store_rates.html",
        "store_rates",
        status=status,
        filters=filters,
        page=paginate(query, PER_PAGE, as_rows=True),
        default_bp=finance_settings().commission_bp,
        percent=percent_text,
        errors=errors or {},
        typed=typed or {},
        may_edit=_may_act(),
        back=_list_back(url_for(".finance_store_rates")),
    )


@bp.get("/finance/settings/stores")
def finance_store_rates():
    return _store_rates_page()


def _live_store_or_404(store_id: int) -> Store:
    store = db.session.get(Store, store_id)
    if store is None or store.deleted_at is not None:
        abort(404)
    return store


@bp.post("/finance/settings/stores/<int:store_id>/rate")
def finance_store_rate(store_id: int):
    store = _live_store_or_404(store_id)
    form = RateForm()
    if not form.validate_on_submit():
        errors = {store.id: " ".join(str(e) for e in form.percent.errors or ["?"])}
        return _store_rates_page(422, errors, {store.id: form.percent.data or ""})
    set_store_rate(g.actor, store.id, form.bp)
    message = _(
        "「%(name)s」的佣金比例已设为 %(rate)s%%", name=store.name, rate=percent_text(form.bp)
    )
    return see_other(_safe_back(form.back.data, url_for(".finance_store_rates")), message)


@bp.post("/finance/settings/stores/<int:store_id>/rate/clear")
def finance_store_rate_clear(store_id: int):
    store = _live_store_or_404(store_id)
    form = ClearRateForm()
    if not form.validate_on_submit():
        return _store_rates_page(422)
    clear_store_rate(g.actor, store.id)
    message = _("「%(name)s」改用默认佣金比例", name=store.name)
    return see_other(_safe_back(form.back.data, url_for(".finance_store_rates")), message)


@dataclass(frozen=True)
class CategoryRate:
    category: Category
    own_bp: int | None
    inherited_bp: int | None  # the nearest category above with a rate


def _category_rates_page(status: int = 200, errors: dict | None = None, typed: dict | None = None):
    rates = dict(
        db.session.execute(
            select(CategoryCommissionRate.category_id, CategoryCommissionRate.bp)
        ).all()
    )
    effective: dict[int, int | None] = {}
    rows = []
    for node in walk(category_tree()):
        category = node.category
        above = effective.get(category.parent_id) if category.parent_id else None
        own = rates.get(category.id)
        effective[category.id] = own if own is not None else above
        rows.append(CategoryRate(category, own, above))
    return render_page_or_block(
        "platform/finance_category_rates.html",
        "category_rates",
        status=status,
        rows=rows,
        default_bp=finance_settings().commission_bp,
        percent=percent_text,
        errors=errors or {},
        typed=typed or {},
        may_edit=_may_act(),
    )


@bp.get("/finance/settings/categories")
def finance_category_rates():
    return _category_rates_page()


def _category_or_404(category_id: int) -> Category:
    return db.session.get(Category, category_id) or abort(404)


@bp.post("/finance/settings/categories/<int:category_id>/rate")
def finance_category_rate(category_id: int):
    category = _category_or_404(category_id)
    form = RateForm()
    if not form.validate_on_submit():
        errors = {category.id: " ".join(str(e) for e in form.percent.errors or ["?"])}
        return _category_rates_page(422, errors, {category.id: form.percent.data or ""})
    set_category_rate(g.actor, category.id, form.bp)
    message = _(
        "类目「%(name)s」的佣金比例已设为 %(rate)s%%",
        name=category.name,
        rate=percent_text(form.bp),
    )
    return see_other(url_for(".finance_category_rates"), message)


@bp.post("/finance/settings/categories/<int:category_id>/rate/clear")
def finance_category_rate_clear(category_id: int):
    category = _category_or_404(category_id)
    form = ClearRateForm()
    if not form.validate_on_submit():
        return _category_rates_page(422)
    clear_category_rate(g.actor, category.id)
    message = _("类目「%(name)s」已清除佣金比例", name=category.name)
    return see_other(url_for(".finance_category_rates"), message)
