"""Reading a verification code the way a person does: off the SMS their phone got (the log
provider's inbox), never from the database, which keeps no code once it is sent."""

from __future__ import annotations

import re

from app.notifications.providers import last_text_to


def code_sent_to(phone: str) -> str:
    text = last_text_to(phone, "verify_code")
    assert text is not None, f"no verification code was sent to {phone}"
    return re.search(r"[0-9]{6}", text).group(0)
