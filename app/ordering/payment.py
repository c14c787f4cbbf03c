"""Payment methods a buyer may choose (SPEC §4), which ones each store accepts, and how goods
may travel. "online" is WeChat Pay or Alipay through the platform (the payments domain); the
others are offline and confirmed by staff."""

from __future__ import annotations

from app.i18n_markers import N_
from app.stores.models import Store, StoreKind

ONLINE = "online"
PAYMENT_METHODS = {
    ONLINE: N_("在线支付"),
    "cod": N_("货到付款"),
    "bank_transfer": N_("银行转账"),
    "prepay": N_("款到发货"),
    "wechat_transfer": N_("微信转账"),
    "alipay_transfer": N_("支付宝转账"),
    "logistics_collect": N_("物流代收"),
    "monthly": N_("统一结算"),
}
# What a store accepts when it has not chosen (Store.payment_methods empty).
DEFAULT_METHODS = {
    StoreKind.SAME_CITY: (ONLINE, "cod"),
    StoreKind.WHOLESALE: tuple(PAYMENT_METHODS),
}
SAME_CITY_METHODS = (ONLINE, "cod")  # what a same-city store may offer at all

COLLECTED_ON_DELIVERY = ("cod", "logistics_collect")  # taken at the door or by the carrier
# Money must be recorded as received (by the gateway or by staff) before these orders ship.
PAID_BEFORE_SHIPPING = ("prepay", "bank_transfer", "wechat_transfer", "alipay_transfer")
SETTLED_MONTHLY = ("monthly",)

# In the order a checkout offers them: the first one a store accepts is preselected (goods that
# travel come before pickup).
DELIVERY_OPTIONS = {
    "delivery": N_("同城配送"),
    "ship": N_("发货"),
    "express": N_("快递"),
    "ship_pickup": N_("发货运自提"),
    "pickup": N_("到店自提"),
}
DEFAULT_DELIVERY = {
    StoreKind.SAME_CITY: ("delivery", "pickup"),
    StoreKind.WHOLESALE: ("ship", "pickup", "ship_pickup"),
}


def payment_label(method: str) -> str:
    return PAYMENT_METHODS.get(method, method)


def delivery_label(option: str) -> str:
    return DELIVERY_OPTIONS.get(option, option)


def store_payment_methods(store: Store) -> list[str]:
    """What this store accepts, in the platform's order."""
    chosen = set(store.payment_methods or DEFAULT_METHODS.get(store.kind, ()))
    if store.kind == StoreKind.SAME_CITY:
        chosen &= set(SAME_CITY_METHODS)
    return [m for m in PAYMENT_METHODS if m in chosen]


def store_delivery_options(store: Store) -> list[str]:
    chosen = set(store.delivery_options or DEFAULT_DELIVERY.get(store.kind, ()))
    return [o for o in DELIVERY_OPTIONS if o in chosen]


def due_on_delivery(payment_method: str, total_fen: int) -> int:
    """What the rider or driver collects at the door (0: nothing to collect)."""
    return total_fen if payment_method == "cod" else 0
