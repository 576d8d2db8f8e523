"""Message text and number checks the imitated providers apply: SMS parts and phone numbers.

SMS parts follow GSM 03.38 / 3GPP TS 23.038 as the `gsm0338` codec encodes them: a text that
fits the GSM 7-bit alphabet (extension characters such as € counting two septets) takes 160
septets in one part and 153 per part when concatenated; any other text is UCS-2, 70 and 67
UTF-16 units.

    >>> sms_parts("Hello").parts, sms_parts("x" * 161).parts, sms_parts("é" * 10).encoding
    (1, 2, 'GSM-7')
    >>> sms_parts("Привет").encoding
    'UCS-2'

Numbers are checked with `phonenumbers` (Google's libphonenumber metadata).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

import gsm0338  # type: ignore[import-untyped]  # noqa: F401 - registers the "gsm03.38" codec
import phonenumbers

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class Parts(NamedTuple):
    parts: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    encoding: str  # "GSM-7" or "UCS-2"


def sms_parts(text: str, *, force_unicode: bool = False) -> Parts:
    """How many SMS parts `text` takes, and in which encoding."""
    if not force_unicode:
        try:
            septets = len(text.encode("gsm03.38"))
        except UnicodeEncodeError:
            pass
        else:
            return Parts(_count(septets, GSM_SINGLE, GSM_MULTI), septets, "GSM-7")
    units = len(text.encode("utf-16-be")) // 2
    return Parts(_count(units, UCS2_SINGLE, UCS2_MULTI), units, "UCS-2")


def _count(units: int, single: int, multi: int) -> int:
    if units <= single:
        return 1
    return math.ceil(units / multi)


class NumberCheck(StrEnum):
    VALID = "valid"
    UNKNOWN_PREFIX = "unknown_prefix"  # no country calling code / region recognised
    INVALID = "invalid"  # a known country, but a length or prefix no operator uses


class Number(NamedTuple):
    check: NumberCheck
    e164: str | None
    region: str | None


def check_number(raw: str, default_region: str | None = None) -> Number:
    """Parse and validate a destination as given to an API ("41793026727", "+33612345678",
    "0612345678" with default_region "FR")."""
    text = raw.strip()
    if not text:
        return Number(NumberCheck.UNKNOWN_PREFIX, None, None)
    if text[0].isdigit() and default_region is None:
        text = "+" + text.removeprefix("00")
    elif text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return Number(NumberCheck.UNKNOWN_PREFIX, None, None)
    home = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    if home == phonenumbers.UNKNOWN_REGION:
        return Number(NumberCheck.UNKNOWN_PREFIX, None, None)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(parsed):
        return Number(NumberCheck.INVALID, e164, home)
    return Number(NumberCheck.VALID, e164, phonenumbers.region_code_for_number(parsed) or home)
