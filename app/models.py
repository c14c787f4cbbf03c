"""Imports every domain's models so the mapper and Alembic see all tables (no models here)."""

from app.accounts.models import Address, Member, MemberLevel, RoleGrant, SmsCode, User
from app.catalog.models import (
    Brand,
    CatalogSettings,
    Category,
    CategoryParam,
    Product,
    ProductEvent,
    Review,
    Sku,
    SkuLevelPrice,
    SpecName,
    SpecValue,
    StockMovement,
    Tag,
    Unit,
)
from app.deadlines.models import Deadline
from app.delivery.models import DeliveryTask, DispatchSettings
from app.jobs.models import OutboxJob
from app.notifications.models import SmsMessage
from app.ordering.models import (
    AfterSale,
    AfterSaleItem,
    CartItem,
    Checkout,
    MonthlyStatement,
    OfflineReceipt,
    Order,
    OrderEvent,
    OrderItem,
    OrderSettings,
)
from app.payments.models import Payment, PaymentNotification, Refund
from app.promotions.models import Coupon, PointEntry, UserCoupon
from app.stores.models import MerchantSettings, Store, StoreApplication, StoreEvent
from app.wholesale.models import Fulfilment, Region, SlipPhoto

__all__ = [
    "AfterSale",
    "AfterSaleItem",
    "MonthlyStatement",
    "OfflineReceipt",
    "OrderSettings",
    "Payment",
    "PaymentNotification",
    "Refund",
    "Coupon",
    "PointEntry",
    "UserCoupon",
    "Unit",
    "Tag",
    "StockMovement",
    "SpecValue",
    "SpecName",
    "SkuLevelPrice",
    "Review",
    "ProductEvent",
    "CategoryParam",
    "Category",
    "Brand",
    "StoreEvent",
    "StoreApplication",
    "MerchantSettings",
    "CatalogSettings",
    "SmsCode",
    "MemberLevel",
    "Address",
    "CartItem",
    "Checkout",
    "Deadline",
    "DeliveryTask",
    "DispatchSettings",
    "Fulfilment",
    "Member",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OutboxJob",
    "Product",
    "Region",
    "RoleGrant",
    "Sku",
    "SlipPhoto",
    "SmsMessage",
    "Store",
    "User",
]
