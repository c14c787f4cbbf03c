"""(being written)"""

from __future__ import annotations

from app.portals.platform.views import bp

__all__ = ["bp"]
