"""月结对账单 (统一结算) of this store's customers: the store's own statements only. The page
helpers here (filters, the list, one statement, the settle form) serve the platform's pages too
(app/portals/platform/statements.py)."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.accounts.models import User
from app.errors import InvalidInput
from app.extensions import db
from app.ordering.models import MonthlyStatement
from app.ordering.offline import MAX_REFERENCE
from app.ordering.statements import (
    may_settle,
    month_over,
    settle,
    statement_orders,
    statement_visible_to,
    statements_visible_to,
)
from app.stores.models import Store
from app.web.bounds import ID_RANGE
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .views import bp

__all__ = [
    "SettleForm",
    "StatementFilterForm",
    "bp",
    "settle_view",
    "statement_page",
    "statements_page",
]

PER_PAGE = 30
SETTLED_CHOICES = {"": _l("全部"), "no": _l("未结清"), "yes": _l("已结清")}


def _strip(value: str | None) -> str:
    return (value or "").strip()


class StatementFilterForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(
        _l("月份"),
        filters=[_strip],
        validators=[
            Optional(),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("月份格式如 2026-11")),
        ],
    )
    store = IntegerField(_l("店铺"), validators=[Optional(), ID_RANGE])
    settled = SelectField(
        _l("结清"),
        choices=[SelectChoice(value, label) for value, label in SETTLED_CHOICES.items()],
        default="",
    )

    def args(self) -> dict[str, str]:
        return filter_args(self)


class SettleForm(FlaskForm):
    reference = StringField(
        _l("参考号"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写参考号（如银行流水号）")),
            Length(max=MAX_REFERENCE, message=_l("参考号不能超过 100 个字")),
        ],
    )
    confirmed = BooleanField(
        _l("已核对到账金额"), validators=[DataRequired(_l("请先核对到账金额，并勾选确认"))]
    )


def _rows(form: StatementFilterForm):
    query = (
        statements_visible_to(g.actor)
        .join(User, User.id == MonthlyStatement.buyer_id)
        .join(Store, Store.id == MonthlyStatement.store_id)
        .with_only_columns(
            MonthlyStatement.id,
            MonthlyStatement.month,
            MonthlyStatement.order_count,
            MonthlyStatement.total_fen,
            MonthlyStatement.settled_at,
            User.name.label("buyer_name"),
            User.phone.label("buyer_phone"),
            Store.name.label("store_name"),
        )
        .order_by(MonthlyStatement.month.desc(), MonthlyStatement.id.desc())
    )
    if form.month.data and not form.month.errors:
        query = query.where(MonthlyStatement.month == form.month.data)
    if form.store.data and not form.store.errors:
        query = query.where(MonthlyStatement.store_id == form.store.data)
    if form.settled.data == "yes":
        query = query.where(MonthlyStatement.settled_at.is_not(None))
    elif form.settled.data == "no":
        query = query.where(MonthlyStatement.settled_at.is_(None))
    return paginate(query, PER_PAGE, as_rows=True)


STATEMENTS = "components/statements.html"  # both portals' pages include it


def statements_page(template: str, endpoint: str, stores: list | None = None):
    form = StatementFilterForm(request.args)
    form.validate()
    return render_page_or_block(
        template,
        "statements_table",
        block_template=STATEMENTS,
        form=form,
        page=_rows(form),
        stores=stores or [],
        settled_choices=SETTLED_CHOICES,
        list_endpoint=endpoint,
    )


def statement_page(
    template: str, statement: MonthlyStatement, status: int = 200, form: SettleForm | None = None
):
    return render_page_or_block(
        template,
        "statement_detail",
        block_template=STATEMENTS,
        status=status,
        statement=statement,
        buyer=db.session.get(User, statement.buyer_id),
        store=db.session.get(Store, statement.store_id),
        settler=db.session.get(User, statement.settled_by) if statement.settled_by else None,
        orders=statement_orders(statement),
        can_settle=statement.settled_at is None and may_settle(statement, g.actor),
        month_over=month_over(statement.month),
        settle_form=form or SettleForm(formdata=None),
    )


def settle_view(template: str, statement_id: int, endpoint: str):
    statement = statement_visible_to(g.actor, statement_id) or abort(404)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            paid = settle(statement, g.actor, form.reference.data)
        except InvalidInput as error:
            form.reference.errors = [*form.reference.errors, render_message(error.msg)]
        else:
            message = _("对账单已结清，%(n)s 个订单已标记为已付款", n=len(paid))
            return see_other(url_for(endpoint, statement_id=statement.id), message)
    return statement_page(template, statement, 422, form)


TEMPLATE = "store/statements.html"


@bp.get("/statements")
def statements():
    return statements_page(TEMPLATE, "store.statements")


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int):
    found = statement_visible_to(g.actor, statement_id) or abort(404)
    return statement_page(TEMPLATE, found)


@bp.post("/statements/<int:statement_id>/settle")
def settle_statement(statement_id: int):
    return settle_view(TEMPLATE, statement_id, "store.statement")
