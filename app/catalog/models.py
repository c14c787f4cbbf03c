"""A product belongs to one store; each SKU (spec) has its own price and stock."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    item_no: Mapped[str] = mapped_column(String(50), default="")  # 货号
    unit: Mapped[str] = mapped_column(String(20), default="份")
    pack_unit: Mapped[str] = mapped_column(String(20), default="")  # e.g. "12瓶/箱"
    min_order_qty: Mapped[int] = mapped_column(default=1)  # 最低起订数; steps are multiples
    listed: Mapped[bool] = mapped_column(default=True)

    skus: Mapped[list[Sku]] = relationship(back_populates="product", order_by="Sku.id")


class Sku(db.Model):
    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    spec: Mapped[str] = mapped_column(String(100), default="")
    price_fen: Mapped[int]  # for a wholesale store: the wholesale price approved members pay
    # the retail price shown to visitors and members not approved, when the platform's setting
    # says they see one (CatalogSettings.outsider_prices); None: they see no price
    retail_price_fen: Mapped[int | None]
    stock: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="skus")


class OutsiderPrices(StrEnum):
    RETAIL = "retail"  # visitors and members not approved see the retail price
    NONE = "none"  # they see no price ("审核通过后可见")


class CatalogSettings(db.Model):
    """The platform's catalog rules (one row, made by the migration)."""

    __tablename__ = "catalog_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # what people who may not buy wholesale see on a wholesale store's products
    outsider_prices: Mapped[str] = mapped_column(String(10), default=OutsiderPrices.NONE)
