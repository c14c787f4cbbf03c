"""Reading the catalog: a store's products with their SKUs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import Product
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
