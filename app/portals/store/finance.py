"""资金 (SPEC §9, seed 004 3.7): the store's four balances, its withdrawal records and 资金明细,
去提现, the payout account (收款账户) and the statement of a period (对账单, also as Excel).

The money domain decides everything (app/finance): these pages read its balances and entries and
call `request_withdrawal` / `change_payout_account`; a refusal is shown on the form, 422, nothing
kept. Only the store's owner may withdraw or change the account: clerks see the figures.

The withdrawal and payout-account pages are shared with the rider portal
(app/portals/rider/finance.py registers its routes on `withdraw_page` / `account_page`)."""

from __future__ import annotations

import io
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Response, abort, g, request, url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import false, select
from werkzeug.datastructures import MultiDict

from app.catalog.excel import XLSX_TYPE
from app.clock import local_today, to_local
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.finance import reports
from app.finance.models import (
    BUCKET_LABELS,
    ENTRY_KIND_LABELS,
    PAYOUT_METHOD_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    EntryKind,
    LedgerAccount,
    Withdrawal,
    WithdrawalStatus,
)
from app.finance.settings import finance_settings
from app.finance.withdrawals import (
    NO_PAYOUT_ACCOUNT,
    NOT_YOURS,
    WITHDRAWALS_OFF,
    account_of,
    change_payout_account,
    may_withdraw,
    next_withdrawal_date,
    request_withdrawal,
    withdrawal_visible_to,
    withdrawals_visible_to,
)
from app.i18n_markers import N_
from app.stores.services import store_of
from app.web.i18n import translate
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.web.unit_of_work import discard_work

from .finance_forms import (
    EntryFilterForm,
    PayoutAccountForm,
    StatementForm,
    WithdrawalFilterForm,
    WithdrawForm,
    mask_account,
    show_refusal,
)
from .views import bp

__all__ = [
    "account_page",
    "account_view",
    "bp",
    "finance_context",
    "rules",
    "withdraw_page",
    "withdraw_view",
    "withdrawal_rows",
]

PER_PAGE = 30
W = WithdrawalStatus
STATUS_BADGES = {
    W.REQUESTED: "waiting",
    W.APPROVED: "shipped",
    W.REJECTED: "closed",
    W.PAID: "completed",
}
# each portal's pages: (去提现, 收款账户, where a done request goes, the 收款账户 endpoint)
PAGES = {
    "store": (
        "store/finance_withdraw.html",
        "store/finance_account.html",
        "store.finance",
        "store.finance_account",
    ),
    "rider": (
        "rider/withdraw.html",
        "rider/finance_account.html",
        "rider.withdrawals",
        "rider.payout_account",
    ),
}
# the statement's per-order columns: what each order moved for the store
ORDER_COLUMNS = (
    EntryKind.SALE,
    EntryKind.COMMISSION,
    EntryKind.PLATFORM_COUPON,
    EntryKind.REFUND,
    EntryKind.COMMISSION_REVERSAL,
    EntryKind.PLATFORM_COUPON_REVERSAL,
)
COLUMN_LABELS = {EntryKind.COMMISSION: N_("佣金")}  # the statement's short heading


def column_labels() -> list[str]:
    return [COLUMN_LABELS.get(kind) or ENTRY_KIND_LABELS[kind] for kind in ORDER_COLUMNS]


def finance_context() -> dict:
    """Labels and the account mask for the money pages of both portals."""
    return {
        "mask_account": mask_account,
        "method_labels": PAYOUT_METHOD_LABELS,
        "withdrawal_labels": WITHDRAWAL_STATUS_LABELS,
        "withdrawal_badges": STATUS_BADGES,
        "entry_labels": ENTRY_KIND_LABELS,
        "bucket_labels": BUCKET_LABELS,
    }


bp.context_processor(finance_context)


def rules(account: LedgerAccount | None) -> dict:
    """What every money page shows beside its figures: the platform's rules and this person's
    standing (may they withdraw, when next, where it is paid)."""
    settings = finance_settings()
    return {
        "account": account,
        "balances": reports.Balances.of(account),
        "settings": settings,
        "next_date": next_withdrawal_date(account.id) if account else None,
        "may_withdraw": may_withdraw(g.actor),
        "not_yours": render_message(NOT_YOURS()),
        "withdrawals_off": render_message(WITHDRAWALS_OFF()),
    }


def withdrawal_rows(form: WithdrawalFilterForm):
    state, method = form.values()
    query = withdrawals_visible_to(g.actor).order_by(
        Withdrawal.created_at.desc(), Withdrawal.id.desc()
    )
    if state:
        query = query.where(Withdrawal.status == state)
    if method:
        query = query.where(Withdrawal.method == method)
    return paginate(query, PER_PAGE)


def _entry_rows(account: LedgerAccount | None, form: EntryFilterForm):
    kind, start, end = form.values()
    query = reports.account_entries(account.id if account else 0, kind, start, end)
    if account is None:
        query = query.where(false())
    return paginate(query, PER_PAGE, as_rows=True)


@bp.get("/finance")
def finance():
    """The four balances, then the withdrawal records or (?tab=entries) the 资金明细."""
    account = account_of(g.actor)
    if request.args.get("tab") == "entries":
        filters, block = EntryFilterForm(request.args), "entries_table"
        filters.validate()
        page = _entry_rows(account, filters)
    else:
        filters, block = WithdrawalFilterForm(request.args), "records_table"
        filters.validate()
        page = withdrawal_rows(filters)
    return render_page_or_block(
        "store/finance.html", block, filters=filters, page=page, tab=block, **rules(account)
    )


# ---- 去提现 (both portals) ----------------------------------------------------------------------


def withdraw_page(portal: str, form: WithdrawForm | None = None, status=200, problem=None):
    account = account_of(g.actor)
    return render_page_or_block(
        PAGES[portal][0],
        "withdraw_form",
        status=status,
        form=form or WithdrawForm(formdata=None),
        problem=problem,
        needs_payout=account is None or not account.has_payout_account,
        **rules(account),
    )


def withdraw_view(portal: str):
    """POST 去提现: the amount, the agreement, and the payout account the first time. A malformed
    account does not hide what else is wrong: the domain still judges the rest."""
    account = account_of(g.actor)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return withdraw_page(portal, form, 422)
    payout, wrong_payout = None, None
    if account is None or not account.has_payout_account:
        try:
            payout = form.payout()
        except InvalidInput as error:
            wrong_payout = error
    done, message = url_for(PAGES[portal][2]), _("提现申请已提交，等待平台审核")
    try:
        amount = form.amount_fen()
        request_withdrawal(  # the same form again (double tap, retry) finds its request made
            g.actor,
            amount,
            agreed=bool(form.agreed.data),
            payout=payout,
            request_key=form.request_key.data or "",
        )
    except DomainError as error:
        discard_work()  # nothing of the refused request is kept
        problem = None
        if wrong_payout is not None:
            show_refusal(form, wrong_payout)
        if wrong_payout is None or error.msg.code != NO_PAYOUT_ACCOUNT.code:
            problem = show_refusal(form, error)
        return withdraw_page(portal, form, 422, problem)
    return see_other(done, message)


# ---- 收款账户 (both portals) ----------------------------------------------------------------------


def account_page(portal: str, form: PayoutAccountForm | None = None, status=200, problem=None):
    account = account_of(g.actor)
    if form is None:
        form = PayoutAccountForm(formdata=None, obj=None)
        if account is not None and account.has_payout_account:
            form.method.data = account.payout_method
            form.holder.data = account.payout_name
            form.bank.data = account.payout_bank
        else:
            form.method.data = "bank"
    return render_page_or_block(
        PAGES[portal][1],
        "account_form",
        status=status,
        form=form,
        problem=problem,
        **rules(account),
    )


def account_view(portal: str):
    """POST 收款账户: where later withdrawals are paid (requests already made keep theirs)."""
    form = PayoutAccountForm()
    if not form.validate_on_submit():
        return account_page(portal, form, 422)
    try:
        change_payout_account(g.actor, form.payout())
    except DomainError as error:
        discard_work()
        return account_page(portal, form, 422, show_refusal(form, error))
    return see_other(url_for(PAGES[portal][3]), _("收款账户已更新，以后的提现将打款到新账户"))


@bp.route("/finance/withdraw", methods=["GET", "POST"])
def finance_withdraw():
    return withdraw_view("store") if request.method == "POST" else withdraw_page("store")


@bp.route("/finance/account", methods=["GET", "POST"])
def finance_account():
    return account_view("store") if request.method == "POST" else account_page("store")


@bp.get("/finance/withdrawals/<int:withdrawal_id>")
def finance_withdrawal(withdrawal_id: int):
    """One withdrawal of this store (another store's id answers 404)."""
    found = withdrawal_visible_to(g.actor, withdrawal_id) or abort(404)
    return render_page_or_block("store/finance_withdrawal.html", withdrawal=found)


# ---- 对账单 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementView:
    statement: reports.Statement
    paid: list[Withdrawal]  # withdrawals paid out in the period

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """Per kind, in the ledger's order of kinds: what moved the balance."""
        by_kind = self.statement.by_kind
        return [(ENTRY_KIND_LABELS[k], by_kind[k]) for k in ENTRY_KIND_LABELS if by_kind.get(k)]

    @property
    def column_totals(self) -> list[int]:
        lines = self.statement.orders
        return [sum(line.amounts.get(kind, 0) for line in lines) for kind in ORDER_COLUMNS]

    @property
    def net_total(self) -> int:
        return sum(line.net_fen for line in self.statement.orders)


def _statement_of(account: LedgerAccount | None, start: date, end: date) -> StatementView:
    if account is None:  # no money yet: a statement of zeros
        return StatementView(reports.Statement(0, start, end, 0, 0, {}, [], 0), [])
    since, until = reports.period_bounds(start, end)
    paid = db.session.execute(
        select(Withdrawal)
        .where(
            Withdrawal.account_id == account.id,
            Withdrawal.status == W.PAID,
            Withdrawal.paid_at >= since,
            Withdrawal.paid_at < until,
        )
        .order_by(Withdrawal.paid_at, Withdrawal.id)
    ).scalars()
    return StatementView(reports.statement(account.id, start, end), list(paid))


def _this_month() -> MultiDict:
    today = local_today()
    last = today.replace(day=monthrange(today.year, today.month)[1])
    return MultiDict({"start": today.replace(day=1).isoformat(), "end": last.isoformat()})


@bp.get("/finance/statement")
def finance_statement():
    """对账单 of a period (this month unless asked), or with ?format=xlsx the same as Excel."""
    args = request.args if "start" in request.args or "end" in request.args else _this_month()
    form = StatementForm(args)
    if not form.validate():
        return render_page_or_block(
            "store/finance_statement.html", "statement", status=422, form=form, view=None
        )
    start, end = form.period()
    view = _statement_of(account_of(g.actor), start, end)
    if request.args.get("format") == "xlsx":
        return _xlsx_response(view, store_of(g.actor).name)
    return render_page_or_block(
        "store/finance_statement.html",
        "statement",
        form=form,
        view=view,
        columns=column_labels(),
        order_columns=ORDER_COLUMNS,
    )


def _local(value) -> str:
    return f"{to_local(value):%Y-%m-%d %H:%M}" if value else ""


def _yuan(fen: int) -> Decimal:
    """Excel gets a number it can add up, exact (never a float)."""
    return Decimal(fen) / 100


def _xlsx_response(view: StatementView, store_name: str) -> Response:
    """The statement as one sheet: the period's figures, per kind, per order, the payouts."""
    st = view.statement
    book = Workbook()
    sheet = book.active
    sheet.title = _("对账单")
    heads = []  # the rows to set in bold

    def add(*cells, head: bool = False) -> None:
        sheet.append(list(cells))
        if head:
            heads.append(sheet.max_row)

    add(_("店铺"), store_name)
    add(_("期间"), _("%(start)s 至 %(end)s", start=f"{st.start}", end=f"{st.end}"))
    add(_("期初余额"), _yuan(st.opening_fen))
    add(_("期末余额"), _yuan(st.closing_fen))
    add(_("本期已提现"), _yuan(st.withdrawn_fen))
    add()
    add(_("类型"), _("金额（元）"), head=True)
    for label, amount in view.kinds:
        add(translate(label), _yuan(amount))
    add()
    add(_("订单号"), *(translate(label) for label in column_labels()), _("净额"), head=True)
    for line in st.orders:
        amounts = (_yuan(line.amounts.get(k, 0)) for k in ORDER_COLUMNS)
        add(line.order_no, *amounts, _yuan(line.net_fen))
    add(_("合计"), *map(_yuan, view.column_totals), _yuan(view.net_total), head=True)
    add()
    add(_("提现单号"), _("申请时间"), _("打款时间"), _("金额（元）"), _("打款流水号"), head=True)
    for paid in view.paid:
        times = (_local(paid.created_at), _local(paid.paid_at))
        add(paid.no, *times, _yuan(paid.amount_fen), paid.reference)
    bold = Font(bold=True)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            if cell.row in heads:
                cell.font = bold
    sheet.column_dimensions["A"].width = 26
    stream = io.BytesIO()
    book.save(stream)
    response = Response(stream.getvalue(), mimetype=XLSX_TYPE)
    name = f"statement-{st.start:%Y%m%d}-{st.end:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
