"""(being written)"""

from __future__ import annotations

from app.portals.shop.views import bp

__all__ = ["bp"]
