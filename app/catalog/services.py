"""Reading the catalog: a store's products with their SKUs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import CatalogSettings, OutsiderPrices, Product
from app.extensions import db
from app.stores.models import Store


def products_of(store: Store, listed_only: bool = False) -> list[Product]:
    query = (
        select(Product)
        .where(Product.store_id == store.id)
        .options(selectinload(Product.skus))
        .order_by(Product.id)
    )
    if listed_only:
        query = query.where(Product.listed.is_(True))
    return list(db.session.execute(query).scalars())


def install_catalog_settings() -> CatalogSettings:
    """Create the catalog settings row if it is missing (seed and test set-up; the migration
    makes it on a real install; never from a read)."""
    settings = db.session.get(CatalogSettings, 1)
    if settings is None:
        settings = CatalogSettings(id=1, outsider_prices=OutsiderPrices.NONE)
        db.session.add(settings)
        db.session.flush()
    return settings
