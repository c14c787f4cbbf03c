"""收款与配送: which payment methods a store accepts, how its goods travel, and the payee details
buyers transfer money to. The store sets them; checkout offers only what the store accepts.

A same-city store may take online payment and cash on delivery only (SAME_CITY_METHODS); each
kind of store has its own delivery options. At least one method and one option always remain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.accounts.actor import Actor
from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.payment import (
    DEFAULT_DELIVERY,
    DELIVERY_OPTIONS,
    PAYMENT_METHODS,
    SAME_CITY_METHODS,
    store_delivery_options,
    store_payment_methods,
)
from app.stores.models import Store, StoreKind
from app.stores.profile import PROFILE_EVENT, PROFILE_FIELDS, _record, ensure_own_store

MAX_PAYEE = 300

CHOOSE_A_METHOD = define("store_choose_payment_method", N_("请至少选择一种收款方式"))
CHOOSE_AN_OPTION = define("store_choose_delivery_option", N_("请至少选择一种配送方式"))
METHOD_NOT_OFFERED = define(
    "store_method_not_offered", N_("本店类型不能提供「%(method)s」"), ("method",)
)
OPTION_NOT_OFFERED = define(
    "store_option_not_offered", N_("本店类型不能提供「%(option)s」"), ("option",)
)
PAYEE_TOO_LONG = define("store_payee_too_long", N_("收款信息不能超过 300 个字"))

# The store's timeline names these changes like the profile's fields.
PROFILE_FIELDS.setdefault("payment_methods", N_("收款方式"))
PROFILE_FIELDS.setdefault("delivery_options", N_("配送方式"))
PROFILE_FIELDS.setdefault("transfer_payee", N_("转账收款信息"))


class PaymentFieldError(InvalidInput):
    """A refusal about one field of the form (the page shows it beside that field)."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field


def methods_offered(store: Store) -> list[str]:
    """What this kind of store may offer at all, in the platform's order."""
    if store.kind == StoreKind.SAME_CITY:
        return [m for m in PAYMENT_METHODS if m in SAME_CITY_METHODS]
    return list(PAYMENT_METHODS)


def options_offered(store: Store) -> list[str]:
    """The delivery options this kind of store may offer."""
    return list(DEFAULT_DELIVERY.get(store.kind, ()))


@dataclass(frozen=True)
class PaymentSettings:
    methods: list[str]
    options: list[str]
    payee: str


def payment_settings_of(store: Store) -> PaymentSettings:
    return PaymentSettings(
        store_payment_methods(store), store_delivery_options(store), store.transfer_payee or ""
    )


def update_payment_settings(
    store: Store, actor: Actor, methods: Iterable[str], options: Iterable[str], payee: str
) -> list[str]:
    """Save what the store accepts; returns the timeline keys of what changed ([] for nothing).
    All or nothing: every value is checked before anything is stored."""
    ensure_own_store(store, actor)
    methods = list(dict.fromkeys(methods))
    options = list(dict.fromkeys(options))
    offered = methods_offered(store)
    for method in methods:
        if method not in offered:
            label = PAYMENT_METHODS.get(method, "")
            raise PaymentFieldError("payment_methods", METHOD_NOT_OFFERED(method=label or method))
    if not methods:
        raise PaymentFieldError("payment_methods", CHOOSE_A_METHOD())
    offered_options = options_offered(store)
    for option in options:
        if option not in offered_options:
            label = DELIVERY_OPTIONS.get(option, "")
            raise PaymentFieldError("delivery_options", OPTION_NOT_OFFERED(option=label or option))
    if not options:
        raise PaymentFieldError("delivery_options", CHOOSE_AN_OPTION())
    payee = (payee or "").strip()
    if len(payee) > MAX_PAYEE:
        raise PaymentFieldError("transfer_payee", PAYEE_TOO_LONG())

    before = payment_settings_of(store)
    methods = [m for m in offered if m in methods]  # the platform's order
    options = [o for o in offered_options if o in options]
    changed = []
    if methods != before.methods or not store.payment_methods:
        store.payment_methods = methods
        if methods != before.methods:
            changed.append("payment_methods")
    if options != before.options or not store.delivery_options:
        store.delivery_options = options
        if options != before.options:
            changed.append("delivery_options")
    if payee != before.payee:
        store.transfer_payee = payee
        changed.append("transfer_payee")
    if changed:
        _record(store, actor, PROFILE_EVENT, reason=",".join(changed))
    db.session.flush()
    return changed
