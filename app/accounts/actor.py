"""Who is acting, in which role and scope. Services take an Actor, never a request."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Role, RoleGrant, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None  # None for the system (jobs, timers)
    role: str
    store_id: int | None = None
    region_id: int | None = None
    name: str = ""

    @classmethod
    def from_grant(cls, user: User, grant: RoleGrant) -> Actor:
        return cls(user.id, grant.role, grant.store_id, grant.region_id, user.name)

    @property
    def is_staff(self) -> bool:
        """Platform staff see every order."""
        return self.role in (Role.OPERATOR, Role.SERVICE)


SYSTEM = Actor(user_id=None, role="system", name="系统")
