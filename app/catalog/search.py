"""Searching products: a query becomes at most a few lower-cased words, each of which must appear
in the product's `search_text` (title, item number, brand and category names). PostgreSQL serves
`search_text LIKE '%word%'` from the pg_trgm GIN index; LIKE's wildcards in a word are literal."""

from __future__ import annotations

from collections.abc import Iterable

from app.catalog.models import Product

MAX_QUERY = 50  # characters of a query that are read
MAX_WORDS = 5


def search_words(query: str | None) -> tuple[str, ...]:
    """The words of a query, lower-cased, bounded, without repeats ("椰子 1L" → ("椰子", "1l"))."""
    words: list[str] = []
    for word in (query or "")[:MAX_QUERY].lower().split():
        if word not in words:
            words.append(word)
    return tuple(words[:MAX_WORDS])


def search_line(
    name: str, item_no: str = "", brand: str = "", categories: Iterable[str] = ()
) -> str:
    """What `Product.search_text` holds: the words a buyer may look a product up by."""
    parts = [name, item_no, brand, *categories]
    return " ".join(part.strip() for part in parts if part and part.strip()).lower()


def product_search_line(product: Product, brand: str = "", categories: Iterable[str] = ()) -> str:
    """`search_line` of a product (the editor keeps `search_text` up to date with it)."""
    return search_line(product.name, product.item_no or "", brand, categories)
