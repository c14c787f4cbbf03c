"""Phone numbers people type: a mainland mobile (what an account logs in with) and a contact
number (a mobile, a landline such as 0898-66000001 with an optional extension, or 400/800).

ASCII digits only: `\\d` would also take full-width digits (１３８…) that no SMS gateway dials.
"""

from __future__ import annotations

import re

MOBILE = re.compile(r"1[3-9][0-9]{9}")
CONTACT = re.compile(
    r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?|[48]00-?[0-9]{3}-?[0-9]{4}"
)
# the same, whole-field, for WTForms' Regexp validators (which search, not fullmatch)
MOBILE_FIELD = rf"^(?:{MOBILE.pattern})$"
CONTACT_FIELD = rf"^(?:{CONTACT.pattern})$"


def is_mobile(value: str | None) -> bool:
    return bool(value) and MOBILE.fullmatch(value) is not None


def is_contact_phone(value: str | None) -> bool:
    return bool(value) and CONTACT.fullmatch(value) is not None
