"""Per-connection settings for reading SMPP delivery receipts (`ReceiptProfile`).

SMSCs agree on the shape of the Appendix B receipt text but not on what its `err:` field means:
one sends MAP error numbers, another its own codes, a third hex. A profile says, for one
connection: an optional regex for odd receipt texts, how to read `err:` (decimal or hex) and
which catalog entry each value stands for, and the time zone of the receipt dates.

An `err:` value the profile does not map is read, by default, as a GSM MAP error (3GPP TS 29.002,
the decimal numbers most SMSCs put there, ours included): `err_standard = "map:error"`. It is
recorded as such ("map:error:27" in the report's `raw["err_ref"]`, the code in namespace `map`).
Set `err_standard` to "" (or None) for an SMSC whose `err:` holds codes of its own: they are then
kept as smpp `error` codes of channel `err_channel`, unknown to the catalog. Only decimal values
1-255 are read as MAP errors; a hex `err_base` or an `err_channel` of the profile's own turns
the default off, and so does a network_error_code TLV in the same deliver_sm (the better hint).

Catalog references are "provider:kind:channel:code" ("infobip:error:general:1") or the short
"provider:channel:code" ("map:error:27", kind "error"). An `err` mapped to None means "no error".
TOML has no null: in `from_dict`, "" / "none" / false also mean None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from typing import Literal

from dlrkit.errors import InputError

PROVIDER = "smpp"
KINDS = frozenset({"status", "error", "hangup_cause", "api_error", "dlr_status"})
GROUPS = frozenset({"id", "sub", "dlvrd", "submit_date", "done_date", "stat", "err", "text"})
_REF_RE = re.compile(r"[a-z0-9_]+(?::[a-z0-9_]+){1,2}:[A-Za-z0-9_ ]+", re.ASCII)
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})", re.ASCII)
_NONE_WORDS = ("", "none", "null")

ERR_CHANNEL = "receipt_err"
ErrMap = Mapping[str, str | None] | Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class ErrRef:
    """Where an `err:` value points in the catalog."""

    ref: str
    provider: str
    kind: str
    channel: str
    code: int | str
    by_default: bool = False  # read in the profile's err_standard, not mapped by the profile


def parse_ref(ref: str, where: str = "err_map") -> ErrRef:
    """Split "provider:kind:channel:code" or "provider:channel:code" (kind "error")."""
    if not isinstance(ref, str) or not _REF_RE.fullmatch(ref):
        raise InputError(
            f"{ref!r} is not a catalog reference (provider:kind:channel:code)",
            provider=PROVIDER,
            field=where,
        )
    parts = ref.split(":")
    provider, code_s = parts[0], parts[-1]
    kind, channel = (parts[1], parts[2]) if len(parts) == 4 else ("error", parts[1])
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} in {ref!r}", provider=PROVIDER, field=where)
    code: int | str = int(code_s) if code_s.isascii() and code_s.isdigit() else code_s
    return ErrRef(ref=ref, provider=provider, kind=kind, channel=channel, code=code)


def err_value(err: str, base: Literal["decimal", "hex"]) -> int | None:
    """The number an `err:` string stands for in `base`, or None when it is not one."""
    s = err.strip()
    if s[:2].lower() == "0x":
        s, base = s[2:], "hex"
    if not s or len(s) > 16:
        return None
    pattern = r"[0-9]+" if base == "decimal" else r"[0-9A-Fa-f]+"
    if not re.fullmatch(pattern, s, re.ASCII):
        return None
    return int(s, 10 if base == "decimal" else 16)


def parse_offset(value: object) -> timedelta:
    """ "+02:00", "-0530", "Z"/"UTC", minutes as an int, or a timedelta."""
    if isinstance(value, timedelta):
        delta = value
    elif isinstance(value, int) and not isinstance(value, bool):
        delta = timedelta(minutes=value)
    elif isinstance(value, str) and value.strip().upper() in ("Z", "UTC", "GMT"):
        delta = timedelta(0)
    elif isinstance(value, str) and (m := _OFFSET_RE.fullmatch(value.strip())):
        delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
        delta = -delta if m[1] == "-" else delta
    else:
        raise InputError(f"bad UTC offset {value!r}", provider=PROVIDER, field="utc_offset")
    if abs(delta) >= timedelta(hours=24):
        raise InputError(
            f"UTC offset out of range: {value!r}", provider=PROVIDER, field="utc_offset"
        )
    return delta


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashable, by identity
class ReceiptProfile:
    """How to read the receipts of one SMPP connection. Defaults suit most SMSCs."""

    name: str = "default"
    pattern: re.Pattern[str] | str | None = None  # named groups: see GROUPS; `id` required
    err_map: ErrMap = field(default_factory=dict)
    err_base: Literal["decimal", "hex"] = "decimal"
    err_channel: str = ERR_CHANNEL  # channel of an unmapped err (kind "error", provider smpp)
    utc_offset: timedelta | str | int = 0  # of the receipt's dates, which carry no zone
    err_standard: str | None = "map:error"  # how to read an unmapped err ("": not at all)
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    tz: timezone = field(init=False, repr=False, compare=False, default=UTC)
    _by_value: dict[int, ErrRef | None] = field(init=False, repr=False, compare=False)
    _by_word: dict[str, ErrRef | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.err_base not in ("decimal", "hex"):
            raise InputError("must be 'decimal' or 'hex'", provider=PROVIDER, field="err_base")
        if not isinstance(self.err_channel, str) or not self.err_channel:
            raise InputError("must be a non-empty string", provider=PROVIDER, field="err_channel")
        if _means_none(self.err_standard):
            object.__setattr__(self, "err_standard", None)
        elif self.err_standard not in ERR_STANDARDS:
            raise InputError(
                f"must be one of {', '.join(ERR_STANDARDS)} or empty",
                provider=PROVIDER,
                field="err_standard",
            )
        object.__setattr__(self, "regex", _compile(self.pattern))
        object.__setattr__(self, "tz", timezone(parse_offset(self.utc_offset)))
        by_value: dict[int, ErrRef | None] = {}
        by_word: dict[str, ErrRef | None] = {}
        if isinstance(self.err_map, Mapping):
            for key, target in self.err_map.items():
                where = f"err_map.{key}"
                if not isinstance(key, str):
                    raise InputError("keys must be strings", provider=PROVIDER, field=where)
                ref = None if _means_none(target) else parse_ref(str(target), where)
                value = err_value(key, self.err_base)
                if value is None:
                    by_word[key.strip().upper()] = ref
                else:
                    by_value[value] = ref
        elif not callable(self.err_map):
            raise InputError("must be a table or a callable", provider=PROVIDER, field="err_map")
        object.__setattr__(self, "_by_value", by_value)
        object.__setattr__(self, "_by_word", by_word)

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, name: str | None = None) -> ReceiptProfile:
        """A profile from a TOML/JSON table; unknown keys are an error naming the key."""
        if not isinstance(data, Mapping):
            raise InputError("a profile must be a table", provider=PROVIDER, field="profile")
        known = {
            "name",
            "pattern",
            "err_map",
            "err_base",
            "err_channel",
            "utc_offset",
            "err_standard",
        }
        for key in data:
            if key not in known:
                raise InputError("unknown profile key", provider=PROVIDER, field=str(key))
        args: dict[str, object] = dict(data)
        if name is not None:
            args.setdefault("name", name)
        if args.get("err_standard") is False:
            args["err_standard"] = None
        for key in ("name", "pattern", "err_base", "err_channel", "err_standard"):
            if key in args and not isinstance(args[key], str):
                raise InputError("must be a string", provider=PROVIDER, field=key)
        if "err_map" in args and not isinstance(args["err_map"], Mapping):
            raise InputError("must be a table", provider=PROVIDER, field="err_map")
        return cls(**args)  # type: ignore[arg-type]

    def resolve_err(
        self, err: str, *, standard: bool = True
    ) -> tuple[ErrRef | None, int | str | None]:
        """(catalog reference or None, code as reported) for an `err:` string.

        The code is None when the value means "no error": mapped to None, or all zeros and
        not mapped at all. An unmapped value is read in `err_standard` (a MAP error by default)
        unless `standard` is False: the receipt carries a better hint, such as a
        network_error_code TLV.
        """
        value = err_value(err, self.err_base)
        code: int | str = value if value is not None else err.strip().upper()
        if callable(self.err_map) and not isinstance(self.err_map, Mapping):
            try:
                target = self.err_map(err)
            except Exception as exc:  # user code: report it as bad input, keep the cause
                raise InputError(
                    f"profile {self.name!r} err_map failed: {exc!r}", provider=PROVIDER, field="err"
                ) from exc
            if _means_none(target):
                return None, None
            return parse_ref(str(target), f"err_map({err})"), code
        if value is not None and value in self._by_value:
            ref = self._by_value[value]
            return ref, (code if ref is not None else None)
        if value is None and str(code) in self._by_word:
            ref = self._by_word[str(code)]
            return ref, (code if ref is not None else None)
        if value == 0:
            return None, None
        if standard and value is not None and self._reads_standard():
            return _standard_ref(str(self.err_standard), value), code
        return None, code

    def _reads_standard(self) -> bool:
        """Whether unmapped values are read in `err_standard`: not when the profile says its
        SMSC's values are its own (hex, or a channel of their own)."""
        return (
            self.err_standard is not None
            and self.err_base == "decimal"
            and self.err_channel == ERR_CHANNEL
        )


ERR_STANDARDS = ("map:error",)


def _standard_ref(standard: str, value: int) -> ErrRef | None:
    """`value` read in `standard` ("map:error": a MAP error code), when it can be one."""
    if standard == "map:error" and 1 <= value <= 255:
        return ErrRef(f"map:error:{value}", "map", "error", "error", value, by_default=True)
    return None


def _means_none(target: object) -> bool:
    return (
        target is None
        or target is False
        or (isinstance(target, str) and target.strip().lower() in _NONE_WORDS)
    )


def _compile(pattern: re.Pattern[str] | str | None) -> re.Pattern[str] | None:
    if pattern is None or isinstance(pattern, re.Pattern):
        regex = pattern
    else:
        try:
            regex = re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise InputError(
                f"not a valid regex: {exc}", provider=PROVIDER, field="pattern"
            ) from exc
    if regex is not None and "id" not in regex.groupindex:
        raise InputError("needs a named group (?P<id>...)", provider=PROVIDER, field="pattern")
    return regex


DEFAULT_PROFILE = ReceiptProfile()


def load_profiles(table: Mapping[str, object]) -> dict[str, ReceiptProfile]:
    """Profiles from a TOML table of tables (`[smpp.profiles.<name>]`), keyed by name."""
    if not isinstance(table, Mapping):
        raise InputError("profiles must be a table", provider=PROVIDER, field="profiles")
    out: dict[str, ReceiptProfile] = {}
    for name, data in table.items():
        if not isinstance(data, Mapping):
            raise InputError("a profile must be a table", provider=PROVIDER, field=str(name))
        out[str(name)] = ReceiptProfile.from_dict(data, name=str(name))
    return out
