"""The dashboard's filters, read leniently from the query string.

A page never answers a bad filter with an error page: it shows what it can, leaves the bad
filter out, and says which field was wrong and why (`Scope.errors`). Links keep the filters
(`Scope.params`), so moving between pages keeps the same view.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from starlette.requests import Request

from dlrkit.errors import InputError
from dlrkit.insights.period import PRESETS, Period, parse_bound, preset, resolve
from dlrkit.outcome import Channel
from dlrkit.store.base import InsightFilter

PROVIDERS = ("infobip", "smspartner", "plivo", "smpp")
CHANNELS = tuple(c.value for c in Channel)
DEFAULT_PERIOD = "7d"
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class Scope(NamedTuple):
    period: Period
    provider: str | None
    channel: str | None
    country: str | None
    params: dict[str, str]  # the valid filters, to carry in links and forms
    errors: list[str]  # "field: problem", one per filter left out

    def insight_filter(self) -> InsightFilter:
        return self.period.filter(
            provider=self.provider, channel=self.channel, country=self.country
        )


def text(request: Request, name: str, longest: int = 255) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:longest] if value else None


def choice(request: Request, name: str, allowed: tuple[str, ...], errors: list[str]) -> str | None:
    value = text(request, name)
    if value is not None and value not in allowed:
        errors.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        return None
    return value


def _period(request: Request, params: dict[str, str], errors: list[str]) -> Period:
    name = text(request, "period")
    if name is None:  # a hand-written link with bounds only
        name = "custom" if text(request, "since") or text(request, "until") else DEFAULT_PERIOD
    if name == "custom":
        try:
            since_text, until_text = text(request, "since"), text(request, "until")
            since = parse_bound(since_text, "since") if since_text else None
            until = parse_bound(until_text, "until", end=True) if until_text else None
            found = resolve(since, until)
        except InputError as exc:
            errors.append(f"{exc.field}: {exc.problem}")
        else:
            params.update(period="custom", since=since_text or "", until=until_text or "")
            return found
        name = DEFAULT_PERIOD
    if name not in PRESETS:
        errors.append(f"period: {name!r} is not one of {', '.join([*PRESETS, 'custom'])}")
        name = DEFAULT_PERIOD
    params["period"] = name
    return preset(name)


def scope(request: Request) -> Scope:
    """The period and traffic filters of a dashboard request."""
    errors: list[str] = []
    params: dict[str, str] = {}
    period = _period(request, params, errors)
    provider = choice(request, "provider", PROVIDERS, errors)
    channel = choice(request, "channel", CHANNELS, errors)
    country = text(request, "country")
    if country is not None and not _COUNTRY.match(country):
        errors.append(f"country: {country!r} is not a two-letter ISO 3166 code")
        country = None
    for name, value in (("provider", provider), ("channel", channel), ("country", country)):
        if value:
            params[name] = value.upper() if name == "country" else value
    return Scope(period, provider, channel, country.upper() if country else None, params, errors)
