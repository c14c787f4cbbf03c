"""Member levels a platform starts with (the migration makes the same three)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import MemberLevel
from app.extensions import db

DEFAULT_LEVELS = (("普通会员", 1), ("银牌会员", 2), ("金牌会员", 3))


def install_member_levels() -> list[MemberLevel]:
    """Create the default levels when there are none (seed and test set-up; never from a read)."""
    levels = list(db.session.execute(select(MemberLevel).order_by(MemberLevel.rank)).scalars())
    if not levels:
        levels = [MemberLevel(name=name, rank=rank) for name, rank in DEFAULT_LEVELS]
        db.session.add_all(levels)
        db.session.flush()
    return levels
