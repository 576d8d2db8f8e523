"""User rules: override the catalog's reason, retry advice or party for a provider, a code or a
pattern, from a TOML file. The user's rule wins, and the outcome records which rule decided.

    # rules.toml
    [[rule]]
    provider = "infobip"          # optional: only this provider's reports
    code = 27                     # optional: a native code in the report (int or word)
    kind = "error"                # optional: status, error, hangup_cause, api_error, dlr_status
    pattern = "(?i)absent"        # optional: regex searched in the codes' names and raw text
    reason = "recipient_unreachable"   # at least one of reason / retry / party / retry_after
    retry = "later"
    retry_after = 7200
    party = "recipient"

Rules are tried in file order; the first that matches decides. Any other top-level key (a
`[[rules]]` for `[[rule]]`, say) is an error. docs/rules.md describes the format for users.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import NamedTuple, TypeVar

from dlrkit.adapters import ADAPTERS
from dlrkit.errors import InputError
from dlrkit.vocab import Party, Reason, Retry

_KEYS = {
    "provider",
    "code",
    "kind",
    "channel",
    "pattern",
    "reason",
    "retry",
    "retry_after",
    "party",
    "note",
}
E = TypeVar("E", Reason, Retry, Party)
_KINDS = {"status", "error", "hangup_cause", "api_error", "dlr_status"}


class Rule(NamedTuple):
    label: str  # "rules.toml#3"
    provider: str | None = None
    code: int | str | None = None
    kind: str | None = None
    channel: str | None = None
    pattern: re.Pattern[str] | None = None
    reason: Reason | None = None
    retry: Retry | None = None
    retry_after: int | None = None
    party: Party | None = None


class Rules(NamedTuple):
    rules: tuple[Rule, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> Rules:
        """Read and check a rules file; an error names the file, the rule and the field."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read rules file: {exc.strerror}", field=str(p)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", field=str(p)) from exc
        return cls.from_dict(data, p.name)

    @classmethod
    def from_dict(cls, data: dict[str, object], name: str = "rules") -> Rules:
        unknown_top = sorted(set(data) - {"rule"})
        if unknown_top:
            hint = " (rules are [[rule]] tables)" if unknown_top[0] == "rules" else ""
            raise InputError(
                f"unknown top-level key {unknown_top[0]!r}: only [[rule]] tables are read{hint}",
                field=name,
            )
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise InputError("`rule` must be an array of tables ([[rule]])", field=f"{name}:rule")
        out = []
        for i, raw in enumerate(raw_rules, 1):
            where = f"{name}#{i}"
            if not isinstance(raw, dict):
                raise InputError("each rule must be a table", field=where)
            unknown = set(raw) - _KEYS
            if unknown:
                raise InputError(f"unknown key {sorted(unknown)[0]!r}", field=where)
            if not {"reason", "retry", "party", "retry_after"} & set(raw):
                raise InputError("a rule must set reason, retry, retry_after or party", field=where)
            try:
                pattern = re.compile(raw["pattern"]) if "pattern" in raw else None
            except re.error as exc:
                raise InputError(f"bad pattern: {exc}", field=f"{where}.pattern") from exc
            if "provider" in raw and raw["provider"] not in ADAPTERS:
                raise InputError(
                    f"{raw['provider']!r} is not one of: {', '.join(ADAPTERS)}",
                    field=f"{where}.provider",
                )
            if "kind" in raw and raw["kind"] not in _KINDS:
                raise InputError(f"kind must be one of {sorted(_KINDS)}", field=f"{where}.kind")
            rule = Rule(
                label=where,
                provider=raw.get("provider"),
                code=raw.get("code"),
                kind=raw.get("kind"),
                channel=raw.get("channel"),
                pattern=pattern,
                reason=_enum(Reason, raw, "reason", where),
                retry=_enum(Retry, raw, "retry", where),
                retry_after=_seconds(raw, where),
                party=_enum(Party, raw, "party", where),
            )
            out.append(rule)
        return cls(tuple(out))


def _enum(enum: type[E], raw: dict[str, object], key: str, where: str) -> E | None:
    if key not in raw:
        return None
    try:
        return enum(str(raw[key]))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InputError(f"{raw[key]!r} is not one of: {allowed}", field=f"{where}.{key}") from None


def _seconds(raw: dict[str, object], where: str) -> int | None:
    value = raw.get("retry_after")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError("must be a positive number of seconds", field=f"{where}.retry_after")
    return value
