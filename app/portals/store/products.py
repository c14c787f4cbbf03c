"""(being written)"""

from __future__ import annotations

from app.portals.store.views import bp

__all__ = ["bp"]
