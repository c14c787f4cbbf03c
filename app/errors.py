"""Domain errors: services raise them with a message (code + parameters); the web layer renders
it in the person's language where they are looking."""

from __future__ import annotations

from app.messages import Message, render


class DomainError(Exception):
    """A rule said no."""

    status_code = 409

    def __init__(self, message: Message):
        if not isinstance(message, Message):
            raise TypeError(
                "a DomainError carries a Message (define its code with messages.define)"
            )
        super().__init__(render(message))
        self.msg = message

    @property
    def message(self) -> str:
        """The refusal in Chinese (logs, tests); the web layer renders it per language."""
        return render(self.msg)


class Forbidden(DomainError):
    """This person's role or scope does not allow the action (answered 403)."""

    status_code = 403


class IllegalTransition(DomainError):
    """The object is not in a state that allows this move (or it changed under us)."""


class AlreadyTaken(DomainError):
    """Somebody else won the race for this object."""


class InvalidInput(DomainError):
    """What was sent cannot be used (wrong file, bad quantity, ...)."""

    status_code = 422


class OutOfStock(DomainError):
    """Not enough stock left to reserve."""
