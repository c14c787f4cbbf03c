"""Domain errors: services raise them, the web layer turns them into a plain message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no; the message is shown to the person as it is."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class IllegalTransition(DomainError):
    """The object is not in a state that allows this move (or it changed under us)."""


class AlreadyTaken(DomainError):
    """Somebody else won the race for this object."""


class InvalidInput(DomainError):
    """What was sent cannot be used (wrong file, bad quantity, ...)."""

    status_code = 422


class OutOfStock(DomainError):
    """Not enough stock left to reserve."""
