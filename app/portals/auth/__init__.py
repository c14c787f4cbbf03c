"""Logging in and signing up: views.py defines the blueprint, rider_signup.py adds 骑手注册."""

from app.portals.auth import rider_signup, views

__all__ = ["rider_signup", "views"]
