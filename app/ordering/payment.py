"""Payment methods a buyer may choose (SPEC §4); offline ones need no gateway."""

from __future__ import annotations

from app.i18n_markers import N_

PAYMENT_METHODS = {
    "cod": N_("货到付款"),
    "bank_transfer": N_("银行转账"),
    "prepay": N_("款到发货"),
    "wechat_transfer": N_("微信转账"),
    "alipay_transfer": N_("支付宝转账"),
    "logistics_collect": N_("物流代收"),
    "monthly": N_("统一结算"),
}
SAME_CITY_METHODS = ("cod",)


def payment_label(method: str) -> str:
    return PAYMENT_METHODS.get(method, method)


COLLECTED_ON_DELIVERY = ("cod",)  # the rider or driver takes the money at the door


def due_on_delivery(payment_method: str, total_fen: int) -> int:
    """What the rider or driver collects at the door (0: nothing to collect)."""
    return total_fen if payment_method in COLLECTED_ON_DELIVERY else 0
