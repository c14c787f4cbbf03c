"""SMS providers behind one small interface; the log provider is the default."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, body: str) -> str:
        """Send one message; return the provider's reference. Raise on failure."""


class LogProvider:
    """Writes messages to the log; the SmsMessage rows are the readable record."""

    name = "log"

    def send(self, phone: str, body: str) -> str:
        ref = uuid.uuid4().hex[:16]
        log.info("SMS to %s [%s]: %s", phone, ref, body)
        return ref


PROVIDERS: dict[str, type] = {"log": LogProvider}


def get_provider(name: str) -> SmsProvider:
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise LookupError(f"unknown SMS provider {name!r}") from None
