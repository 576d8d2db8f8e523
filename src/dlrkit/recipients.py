"""Recipients: E.164 normalization, country and (where known) operator, with `phonenumbers`.

Addresses that are not phone numbers (e-mail addresses, push registration ids, SIP URIs) are
kept as reported, without a country.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple


class Recipient(NamedTuple):
    e164: str | None  # "+33612345678" when the address parses as a valid number
    raw: str
    country: str | None  # ISO 3166-1 alpha-2
    operator: str | None  # the operator the number range was allocated to (not ported-number aware)


@lru_cache(maxsize=65536)
def parse_recipient(raw: str, default_region: str | None = None) -> Recipient:
    """Normalize an address as providers send it ("33612345678", "+33 6 12...", "tel:+33...")."""
    import phonenumbers
    from phonenumbers import carrier

    text = raw.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if "@" in text or not text or len(text) > 32:
        return Recipient(None, raw, None, None)
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return Recipient(None, raw, None, None)
    candidate = text if text.startswith("+") else ("+" + digits if default_region is None else text)
    if text.startswith("00"):
        candidate = "+" + digits[2:]
    try:
        number = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return Recipient(None, raw, None, None)
    if not phonenumbers.is_valid_number(number):
        return Recipient(None, raw, phonenumbers.region_code_for_number(number) or None, None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number) or None
    operator = carrier.name_for_number(number, "en") or None
    return Recipient(e164, raw, region, operator)
