"""What every storefront catalog page reads first, in one statement: who is looking at prices
(the member's status and level, the platform's rule for outsiders) and the stamp of the
platform's library. The category tree and the brand list change rarely, so each process keeps
them while the stamp stays the same; any change of a category or brand renews the stamp in its
own transaction (`app.catalog.models.renew_library_version`), so the next request of every
process reads them again."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import g
from sqlalchemy import Integer, bindparam, select

from app.accounts.actor import Actor
from app.accounts.members import PriceViewer
from app.accounts.models import Member
from app.catalog.browse import CategoryTree, brands, category_tree
from app.catalog.models import CatalogSettings, OutsiderPrices
from app.rows import read_rows


class Library:
    """The category tree and the brands as of one stamp, each read on first use. Shared by the
    requests of a process: read only."""

    def __init__(self, version: str | None):
        self.version = version

    @cached_property
    def tree(self) -> CategoryTree:
        return category_tree()

    @cached_property
    def brands(self) -> list[tuple[int, str]]:
        """(id, name) in the filter menus' order."""
        return brands()

    @cached_property
    def brand_names(self) -> dict[int, str]:
        return dict(self.brands)


_kept: Library | None = None  # this process's copy, of the last stamp seen


def _library(version: str | None) -> Library:
    """The kept copy when its stamp is the database's; else a fresh one (kept, unless the
    database has no stamp)."""
    global _kept
    kept = _kept
    if version is not None and kept is not None and kept.version == version:
        return kept
    fresh = Library(version)
    if version is not None:
        _kept = fresh
    return fresh


@dataclass(frozen=True)
class Storefront:
    viewer: PriceViewer
    library: Library


def _one(column, *where):
    return select(column).where(*where).scalar_subquery()


_SETTINGS = CatalogSettings.id == 1
_MEMBER = Member.user_id == bindparam("user_id", type_=Integer)
# built once: the stamp and the outsiders' rule, and for a logged-in person their member row
VISITOR_FACTS = select(
    _one(CatalogSettings.library_version, _SETTINGS),
    _one(CatalogSettings.outsider_prices, _SETTINGS),
)
MEMBER_FACTS = VISITOR_FACTS.add_columns(
    _one(Member.status, _MEMBER), _one(Member.level_id, _MEMBER)
)


def storefront(actor: Actor | None) -> Storefront:
    """The viewer and the library for this request, in one statement (kept on `g`; the shop
    portal may have read MEMBER_FACTS already, with the person: `storefront_of`)."""
    found = g.get("storefront")
    if found is not None:
        return found
    user_id = actor.user_id if actor else None
    if user_id:
        facts = read_rows(MEMBER_FACTS, {"user_id": user_id}).one()
    else:
        facts = (*read_rows(VISITOR_FACTS).one(), None, None)
    return storefront_of(actor, facts)


def storefront_of(actor: Actor | None, facts: tuple | None) -> Storefront:
    """The storefront of MEMBER_FACTS' row (version, outsider rule, member status, level), kept
    on `g` for the request; a visitor's member columns are None."""
    version, outsider_prices, status, level_id = facts or (None, None, None, None)
    if actor is None:
        status = level_id = None
    viewer = PriceViewer(
        logged_in=actor is not None,
        member_status=status,
        level_id=level_id,
        outsider_prices=outsider_prices or OutsiderPrices.NONE,
    )
    g.storefront = Storefront(viewer, _library(version))
    return g.storefront
