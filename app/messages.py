"""Messages are data: a code plus parameters, rendered per language and per audience when shown.

Refusals, timeline events, SMS and job summaries are stored as `{"code": "stock_short",
"product": "椰子汁", "left": 3}` rather than a finished sentence. Each code is defined once, next
to the rule that uses it, with its Chinese text (a catalog msgid with `%(name)s` placeholders):

    STOCK_SHORT = define("stock_short", N_("「%(product)s」库存不足，仅剩 %(left)s"))
    raise OutOfStock(STOCK_SHORT(product=sku.name, left=sku.stock))

`render()` translates the text into the reader's language, translates the parameters that are
labels themselves (a status, a verb), and masks phone numbers for audiences that may not see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Audiences that never see a person's full phone number (a drop-ship factory, a group leader).
MASKED_AUDIENCES = frozenset({"factory", "leader"})
_PHONE = re.compile(r"^(\d{3})\d{4}(\d{4})$")


@dataclass(frozen=True)
class MessageKind:
    """One kind of message: its code, Chinese text and which parameters are labels."""

    code: str
    text: str
    labels: tuple[str, ...] = ()  # parameters holding a msgid (or [context, msgid]) to translate

    def __call__(self, **params: Any) -> Message:
        return Message(self.code, params)


@dataclass(frozen=True)
class Message:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        """What is stored: JSON with the code and its parameters."""
        return {"code": self.code, **self.params}

    def __str__(self) -> str:  # logs, tests and exceptions read Chinese
        return render(self)


KINDS: dict[str, MessageKind] = {}


def define(code: str, text: str, labels: tuple[str, ...] = ()) -> MessageKind:
    """Declare a message kind once; the same code with another text is a mistake."""
    kind = MessageKind(code, text, labels)
    known = KINDS.setdefault(code, kind)
    if known != kind:
        raise ValueError(f"message code {code!r} is defined twice with different texts")
    return known


# A person's own words (a remark they typed) shown as written; the fallback for old rows.
NOTE = define("note", "%(text)s")


def as_message(value: Message | Mapping[str, Any] | str | None) -> Message | None:
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, Message):
        return value
    if isinstance(value, str):
        return NOTE(text=value)
    params = dict(value)
    return Message(str(params.pop("code", "note")), params)


def mask_phone(phone: str) -> str:
    return _PHONE.sub(r"\1****\2", phone)


def _identity(text: str) -> str:
    return text


def _no_context(context: str, text: str) -> str:
    return text


def render(
    value: Message | Mapping[str, Any] | str | None,
    audience: str | None = None,
    translate: Callable[[str], str] = _identity,
    translate_in_context: Callable[[str, str], str] = _no_context,
) -> str:
    """The message as the reader sees it: their language, their view of people's data."""
    message = as_message(value)
    if message is None:
        return ""
    kind = KINDS.get(message.code)
    if kind is None:  # a code from a newer release, or removed: say something, never crash
        return message.code
    params: dict[str, Any] = {}
    for name, param in message.params.items():
        if name in kind.labels:
            if isinstance(param, list | tuple) and len(param) == 2:
                param = translate_in_context(param[0], param[1])
            else:
                param = translate(param) if param else ""
        elif name.endswith("phone") and audience in MASKED_AUDIENCES and param:
            param = mask_phone(str(param))
        params[name] = param
    text = translate(kind.text) if kind.text != NOTE.text else kind.text
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return kind.text % {**dict.fromkeys(re.findall(r"%\((\w+)\)", kind.text), ""), **params}
