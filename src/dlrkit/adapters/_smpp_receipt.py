"""The text of an SMPP 3.4 delivery receipt (Appendix B), read leniently.

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E Text: ...

Real SMSCs vary: keys in any case and order ("ID:", "Text:"), "submit_date" / "submitdate",
missing sub/dlvrd, extra fields, an empty `text:` followed by more fields, dates of 10, 12 or
14 digits (YYMMDDhhmm, YYMMDDhhmmss, YYYYMMDDhhmmss) or in SMPP's absolute time format, a
"done date" of all zeros, ids in decimal or hex, `err:` as 1 to 3 digits.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta, timezone

from dlrkit.adapters._smpp_profile import GROUPS, ReceiptProfile

_KEY_RE = re.compile(
    r"(?:(?<=\s)|^)(submit[ _-]?date|done[ _-]?date|[A-Za-z][A-Za-z0-9_\-]{0,40})\s*:",
    re.ASCII | re.IGNORECASE,
)
_ALIASES = {"submitdate": "submit_date", "donedate": "done_date"}
_DEC_RE = re.compile(r"[0-9]{1,64}", re.ASCII)
_HEX_RE = re.compile(r"[0-9A-Fa-f]{1,64}", re.ASCII)
_SMPP_TIME_RE = re.compile(r"(\d{12})(\d)(\d{2})([+-])", re.ASCII)


def _key(raw: str) -> str:
    key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return _ALIASES.get(key.replace("_", ""), key)


def split_receipt(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(standard fields, extra fields) of a receipt text; first occurrence of a key wins.

    `text:` runs to the end, or up to the next standard key not yet seen (so an empty
    `text:` followed by `stat:...` still yields the status).
    """
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    matches = list(_KEY_RE.finditer(text))
    i = 0
    while i < len(matches):
        m = matches[i]
        key = _key(m[1])
        nxt = i + 1
        if key == "text":
            while nxt < len(matches):
                later = _key(matches[nxt][1])
                if later in GROUPS and later != "text" and later not in fields:
                    break
                nxt += 1
        end = matches[nxt].start() if nxt < len(matches) else len(text)
        value = text[m.end() : end].strip()
        target = fields if key in GROUPS else extra
        target.setdefault(key, value)
        i = nxt
    return fields, extra


def read_receipt(text: str, profile: ReceiptProfile) -> tuple[dict[str, str], dict[str, str], bool]:
    """(fields, extra fields, whether the profile's regex matched) of a receipt text.

    The profile's regex is tried first; when it does not match, the lenient reading applies.
    """
    if profile.regex is not None and (m := profile.regex.search(text)):
        fields: dict[str, str] = {}
        extra: dict[str, str] = {}
        for key, value in m.groupdict().items():
            if value is not None:
                (fields if key in GROUPS else extra)[key] = value.strip()
        return fields, extra, True
    return (*split_receipt(text), False)


def receipt_time(value: str, tz: timezone) -> str | None:
    """ISO 8601 of a receipt date in the SMSC's zone `tz`; None when absent or not a date."""
    value = value.strip()
    if m := _SMPP_TIME_RE.fullmatch(value):  # YYMMDDhhmmsstnnp, SMPP 3.4 section 7.1.1
        quarters = int(m[3]) * (1 if m[4] == "+" else -1)
        return _iso(m[1], timezone(timedelta(minutes=15 * quarters)))
    digits = re.sub(r"\D", "", value)
    if value and not re.fullmatch(r"[\d\s:/T.-]+", value):
        return None
    return _iso(digits, tz)


def _iso(digits: str, tz: timezone) -> str | None:
    if not digits or not digits.strip("0"):
        return None
    if len(digits) == 10:
        digits += "00"
    if len(digits) == 12:
        digits = "20" + digits
    if len(digits) != 14:
        return None
    try:
        when = datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=tz)
    except ValueError:
        return None
    if tz.utcoffset(None) == timedelta(0):
        return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return when.isoformat()


def id_views(message_id: str) -> dict[str, str]:
    """The other base's reading of an id that could be decimal or hex.

    All digits: both `id_decimal_as_hex` and `id_hex_as_decimal`; hex letters: only
    `id_hex_as_decimal`. Hex is upper case without leading zeros, as SMSCs write it.
    """
    s = message_id.strip()
    views: dict[str, str] = {}
    if _DEC_RE.fullmatch(s):
        views["id_decimal_as_hex"] = format(int(s), "X")
    if _HEX_RE.fullmatch(s):
        views["id_hex_as_decimal"] = str(int(s, 16))
    return views


def decode_text(data: bytes) -> str:
    """Receipt bytes as text: UTF-8, else Latin-1 (the `text:` part may be 8-bit)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def unhex_text(value: str) -> str:
    """A short_message dumped as hex ("69643A...") or base64 ("aWQ6...", how Go's JSON writes
    a byte slice), decoded when it hides a receipt."""
    s = value.strip()
    if s[:4] == "aWQ6" and re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", s, re.ASCII):
        try:
            text = decode_text(base64.b64decode(s, validate=True))
        except binascii.Error:
            return value
        return text if looks_like_receipt(text) else value
    s = s[2:] if s[:2].lower() == "0x" else s
    if len(s) < 6 or len(s) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", s, re.ASCII):
        return value
    text = decode_text(bytes.fromhex(s))
    return text if looks_like_receipt(text) else value


def looks_like_receipt(text: str) -> bool:
    low = text.lstrip()[:4096].lower()
    return low.startswith("id:") or ("id:" in low and "stat:" in low)
