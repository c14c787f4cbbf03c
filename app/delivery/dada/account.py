"""A store's Dada account (its StoreCourier row), what Dada is told about an order, and the
balance: read from Dada before anything is sent, kept on the row for the store's pages.

Every store is a 门店 (shop_no, in its city_code) of the platform's Dada merchant
(DADA_SOURCE_ID): balance/query answers that merchant's 运费账户, so each store's row keeps what
Dada said when that store last asked.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import Select, select
from werkzeug.routing import BuildError

from app.clock import utcnow
from app.delivery.dada.client import (
    DadaClient,
    DadaUnavailable,
    dada_client,
    dada_settings,
    fen_to_yuan,
)
from app.delivery.models import StoreCourier
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.geo.base import Point
from app.geo.datum import wgs84_to_gcj02
from app.i18n_markers import N_
from app.messages import Message, define
from app.money import format_fen
from app.ordering.models import Order
from app.stores.models import StoreKind

COURIER = "dada"
CALLBACK_PATH = "/couriers/dada/callback"
ORIGIN_MARK = "haoshang"  # 订单来源标示: letters only, at most 10
CARGO_TYPE = 1  # 门店配送品类: 1 = 餐饮 (Dada's code for food; same-city stores sell food)
CARGO_WEIGHT_KG = 1  # goods carry no weight here; Dada needs one

SAME_CITY_ONLY = define("dada_same_city_only", N_("只有同城订单可以选择达达配送"))
NOT_CONFIGURED = define("dada_not_configured", N_("平台尚未配置达达开放平台账号"))
DADA_OFF = define("dada_off", N_("本店未开通达达配送"))
SETUP_MISSING = define(
    "dada_setup_missing", N_("请先在「达达配送」设置中填写达达门店编号和城市编码")
)
BALANCE_SHORT = define(
    "dada_balance_short",
    N_("达达余额不足（余额 %(balance)s，本单运费 %(fee)s），请先到达达充值后再派单"),
)


def store_courier(store_id: int) -> StoreCourier | None:
    return db.session.execute(
        select(StoreCourier).where(
            StoreCourier.store_id == store_id, StoreCourier.courier == COURIER
        )
    ).scalar_one_or_none()


def unavailable(order: Order) -> Message | None:
    """Why Dada cannot carry this order (None: it can): a same-city order of a store that
    turned Dada on and filled its shop number and city, on a platform with a Dada account."""
    if order.kind != StoreKind.SAME_CITY:
        return SAME_CITY_ONLY()
    if dada_settings() is None:
        return NOT_CONFIGURED()
    account = store_courier(order.store_id)
    if account is None or not account.enabled:
        return DADA_OFF()
    if not account.shop_no or not account.city_code:
        return SETUP_MISSING()
    return None


def account_for(order: Order) -> StoreCourier:
    """The store's enabled account, or the refusal saying what is missing."""
    refusal = unavailable(order)
    if refusal is not None:
        raise InvalidInput(refusal)
    account = store_courier(order.store_id)
    assert account is not None  # unavailable() said it is there
    return account


def client() -> DadaClient:
    found = dada_client()
    if found is None:
        raise InvalidInput(NOT_CONFIGURED())
    return found


def callback_url() -> str:
    """Where Dada posts this order's status changes: DADA_CALLBACK_URL, else this request's
    host, else PAYMENT_NOTIFY_BASE_URL (a job has no request)."""
    config = current_app.config
    if config.get("DADA_CALLBACK_URL"):
        return config["DADA_CALLBACK_URL"]
    if has_request_context():
        try:
            return url_for("dada_callback.callback", _external=True)
        except BuildError:  # the callback blueprint is not mounted in this app
            pass
    base = (config.get("PAYMENT_NOTIFY_BASE_URL") or "").rstrip("/")
    return f"{base}{CALLBACK_PATH}" if base else ""


def _receiver_position(order: Order) -> Point | None:
    """The buyer's address as Dada wants it (GCJ-02, 高德), from the coordinates the order
    copied from the address at checkout."""
    if order.delivery_lat is None or order.delivery_lng is None:
        return None
    return wgs84_to_gcj02(Point(order.delivery_lat, order.delivery_lng))


def order_params(order: Order, account: StoreCourier) -> dict:
    """The order as addOrder / queryDeliverFee / reAddOrder take it."""
    params: dict = {
        "shop_no": account.shop_no,
        "origin_id": order.no,
        "city_code": account.city_code,
        "cargo_price": fen_to_yuan(order.goods_fen),
        "is_prepay": 0,
        "receiver_name": order.contact_name,
        "receiver_address": order.address,
        "receiver_phone": order.contact_phone,
        "callback": callback_url(),
        "cargo_weight": CARGO_WEIGHT_KG,
        "cargo_type": CARGO_TYPE,
        "cargo_num": sum(item.quantity for item in order.items),
        "info": order.buyer_remark or "",
        "origin_mark": ORIGIN_MARK,
        "origin_mark_no": order.no,
        "product_list": [
            {
                "sku_name": (f"{item.product_name} {item.spec}".strip())[:128],
                "src_product_no": str(item.sku_id),
                "count": item.quantity,
                "unit": "件",
            }
            for item in order.items
        ],
    }
    position = _receiver_position(order)
    if position is not None:
        params["receiver_lat"], params["receiver_lng"] = (
            round(position[0], 6),
            round(position[1], 6),
        )
    return params


def read_balance(account: StoreCourier, dada: DadaClient | None = None) -> int:
    """Ask Dada for the balance now and keep it on the store's row."""
    balance = (dada or client()).balance()
    account.balance_fen = balance
    account.balance_at = utcnow()
    db.session.flush()
    return balance


def check_balance(account: StoreCourier, fee_fen: int, dada: DadaClient | None = None) -> int:
    """Before anything is sent: the balance must cover the fee, else a refusal that says both.
    Dada unreachable: the balance read last is used; never read, the caller's job decides."""
    try:
        balance = read_balance(account, dada)
    except DadaUnavailable:
        if account.balance_fen is None:
            raise
        balance = account.balance_fen
    if balance < fee_fen:
        raise IllegalTransition(BALANCE_SHORT(balance=format_fen(balance), fee=format_fen(fee_fen)))
    return balance


def low_balance_query(store_id: int | None, column) -> Select:
    """One figure of the store's Dada account when its balance is low (as `balance_low`)."""
    return select(column).where(
        StoreCourier.store_id == store_id,
        StoreCourier.courier == COURIER,
        StoreCourier.enabled,
        StoreCourier.balance_fen.is_not(None),
        StoreCourier.balance_fen < StoreCourier.balance_alert_fen,
    )


def balance_low(account: StoreCourier | None) -> bool:
    """The store's pages warn below the store's threshold (from the balance read last)."""
    return bool(
        account is not None
        and account.enabled
        and account.balance_fen is not None
        and account.balance_fen < account.balance_alert_fen
    )
