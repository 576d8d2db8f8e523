"""Charts of insights: Vega-Lite specs built from the store's answers, rendered to SVG offline.

    svg = to_svg(delivery_spec(await store.delivery_rate(flt, bucket="hour")))

Rendering uses vl-convert (Vega and Vega-Lite compiled into the wheel, run in an embedded
JavaScript engine): no browser, no CDN, no network (`allowed_base_urls=[]`, data inline). The
SVG is inlined in the dashboard's pages and in the report. The first render in a process takes
about half a second (the engine starts); later ones a few tens of milliseconds, so callers on an
event loop run `to_svg` in a thread. Each chart's SVG carries a `data-chart` attribute naming it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from typing import Any, NamedTuple

from dlrkit.store.base import DeliveryRate, Failures, Latency, RatePoint

VEGA_LITE = "6.4"  # the Vega-Lite version vl-convert compiles with (pinned with the package)
WIDTH = 960  # the SVGs scale down to their container (CSS max-width)
AXES_WIDTH = 114  # what the delivery chart's axes add to its plot's width
DELIVERED, FAILED, OPEN = "#2e7d32", "#c62828", "#9e9e9e"
STATE_COLORS = {"undelivered": "#c62828", "rejected": "#ef6c00", "expired": "#6d4c41"}
# Labels are measured (and truncated) by vl-convert and drawn by the browser with its own fonts.
# vl-convert measures the generic "sans-serif" with the Liberation Sans it carries (Arial's
# metrics) where Arial is missing, while Chromium on Debian draws it with DejaVu Sans, about 15 %
# wider: right-aligned labels then ran off the SVG's left edge ("ecipient unreachable"). Long
# text labels are therefore measured with DejaVu Sans itself (what the report's Chromium draws,
# and among the widest sans-serif faces, so the labels fit where the browser falls back to
# Arial or Helvetica). A named family costs vl-convert about 10 ms per label, so the short
# labels (numbers, dates, the legend) keep the generic family.
_FONT = "sans-serif"
LABEL_FONT = "DejaVu Sans, sans-serif"
# A series whose data starts late in its period is charted from a little before its first
# message: at least this many buckets, so that a fresh install's hour is a bar, not a sliver.
MIN_BUCKETS = {"hour": 24, "day": 14}
_CONFIG: dict[str, Any] = {
    "font": _FONT,
    "view": {"stroke": None},
    "axis": {"labelColor": "#444", "titleColor": "#444", "gridColor": "#eee"},
    "legend": {"orient": "top", "title": None, "labelColor": "#444"},
    "background": "white",
    "mark": {"aria": False},  # no per-mark labels: the tables beside the charts carry the data
}


def _spec(
    title: str, body: dict[str, Any], height: int = 240, width: int = WIDTH
) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": width,
        "height": height,
        "config": _CONFIG,
        **body,
    }


def _time_axis(hourly: bool, buckets: int) -> dict[str, Any]:
    """Ticks few enough that their labels do not overlap, whatever the period; where a narrow
    chart still crowds them, Vega hides some. It measures them in the generic font (Liberation
    Sans), narrower than what Chromium draws (DejaVu Sans, see LABEL_FONT): the separation it
    keeps between labels absorbs the difference, so that "12 Nov" and "13 Nov" never touch."""
    spaced = {"labelOverlap": "greedy", "labelSeparation": 8}
    if hourly and buckets <= 48:
        # (an "hour" tick interval makes this Vega fail: a count it is)
        return {"tickCount": 8, "format": "%d %b %H:%M", **spaced}
    if hourly or buckets <= 15:
        return {"tickCount": {"interval": "day", "step": 1}, "format": "%d %b", **spaced}
    if buckets <= 120:
        step = 3 if buckets <= 45 else 7
        return {"tickCount": {"interval": "day", "step": step}, "format": "%d %b", **spaced}
    return {"tickCount": {"interval": "month", "step": 1}, "format": "%b %Y", **spaced}


def count_axis(top: int, length: int, spacing: int = 40) -> dict[str, Any]:
    """An axis of counts up to `top` along `length` pixels: whole, distinct ticks ("0 1 2",
    never "0 0.5 1", nor "0 1 1 2 2" once formatted), thousands grouped. Vega (6.2, in
    vl-convert) ignores `tickMinStep`, so the tick count is capped at `top` itself: with no more
    ticks than the (niced) span of the domain, d3 steps by 1, 2, 5, 10, ... never by less.
    About one tick per `spacing` pixels (wider on a horizontal axis: "0 5 10", not "0 2 4")."""
    return {"tickCount": max(1, min(math.ceil(length / spacing), top)), "format": ",d"}


def has_messages(rate: DeliveryRate) -> bool:
    """Whether the period has any message to chart (else pages say so instead of a chart)."""
    return rate.summary.total > 0 or any(p.total for p in rate.points)


class Window(NamedTuple):
    """The buckets a delivery chart shows, and why it leaves out the period's first ones."""

    points: tuple[RatePoint, ...]
    note: str | None  # None when the whole period is shown


def _when(bucket: str, hourly: bool) -> str:
    at = dt.datetime.fromisoformat(bucket.replace("Z", "+00:00")).astimezone(dt.UTC)
    return at.strftime("%d %b %Y %H:%M UTC" if hourly else "%d %b %Y")


def delivery_window(rate: DeliveryRate) -> Window:
    """The whole period, unless its first message came after the first quarter of it (a fresh
    install, a service started mid-period): then from that message (or `MIN_BUCKETS` before the
    period's end, if earlier) on, with a note saying so. The end is always the period's: empty
    buckets there are news (traffic stopped)."""
    points = rate.points
    first = next((i for i, p in enumerate(points) if p.total), None)
    if first is None or first * 4 < len(points):
        return Window(points, None)
    start = max(0, min(first, len(points) - MIN_BUCKETS.get(rate.bucket, 24)))
    if start == 0:
        return Window(points, None)
    hourly = rate.bucket == "hour"
    note = (
        f"No messages were received before {_when(points[first].bucket, hourly)}: the chart "
        f"starts at {_when(points[start].bucket, hourly)}, not at the start of the period."
    )
    return Window(points[start:], note)


def delivery_spec(rate: DeliveryRate, width: int = WIDTH) -> dict[str, Any]:
    """Messages per bucket (delivered, failed, in flight, stacked) and the delivery rate line,
    over `delivery_window(rate)`."""
    shown = delivery_window(rate).points
    rows: list[dict[str, Any]] = []
    line: list[dict[str, Any]] = []
    for p in shown:
        failed = p.undelivered + p.rejected + p.expired
        for group, n in (
            ("delivered", p.delivered),
            ("failed", failed),
            ("in flight", p.total - p.delivered - failed),
        ):
            rows.append({"t": p.bucket, "group": group, "n": n})
        line.append({"t": p.bucket, "rate": p.rate})
    hourly = rate.bucket == "hour"
    x = {
        "field": "t",
        "type": "temporal",
        "timeUnit": "utcyearmonthdatehours" if hourly else "utcyearmonthdate",
        "title": None,
        "axis": _time_axis(hourly, len(shown)),
    }
    bars = {
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": x,
            "y": {
                "field": "n",
                "type": "quantitative",
                "stack": True,
                "title": "messages",
                "axis": count_axis(max((p.total for p in shown), default=0), 240),
            },
            "color": {
                "field": "group",
                "type": "nominal",
                "scale": {
                    "domain": ["delivered", "failed", "in flight"],
                    "range": [DELIVERED, FAILED, OPEN],
                },
            },
            "order": {"field": "group", "sort": "ascending"},
        },
    }
    rate_line = {
        "data": {"values": line},
        "mark": {
            "type": "line",
            "color": "#1565c0",
            "point": len(line) <= 48,
            "strokeWidth": 2,
        },
        "encoding": {
            "x": {**x, "bandPosition": 0.5},
            "y": {
                "field": "rate",
                "type": "quantitative",
                "title": "delivery rate",
                "scale": {"domain": [0, 1]},
                "axis": {"format": "%", "orient": "right", "grid": False},
            },
        },
    }
    return _spec(
        "Messages and delivery rate",
        {"layer": [bars, rate_line], "resolve": {"scale": {"y": "independent"}}},
        width=width,
    )


def failures_spec(
    failures: Failures,
    labels: dict[str | None, str] | None = None,
    width: int = WIDTH + AXES_WIDTH,
) -> dict[str, Any]:
    """Failed messages per value of one dimension, stacked by final state, most first; `width`
    is the whole chart's, labels included (by default as wide as the delivery chart's)."""
    names = labels or {}
    rows = []
    order = []
    for s in failures.items:
        label = names.get(s.value) or (s.value or "(none)")
        if failures.dimension == "reason":
            label = label.replace("_", " ")
        order.append(label)
        for state in STATE_COLORS:
            rows.append({"value": label, "state": state, "n": getattr(s, state)})
    return _spec(
        f"Failures by {failures.dimension}",
        {
            "data": {"values": rows},
            "mark": {"type": "bar"},
            # the SVG is `width` wide, labels included: the longer the labels, the shorter the bars
            "autosize": {"type": "fit-x", "contains": "padding"},
            "encoding": {
                "y": {
                    "field": "value",
                    "type": "nominal",
                    "sort": order,
                    "title": None,
                    "axis": {
                        "labelFont": LABEL_FONT,
                        "labelLimit": label_limit(width),
                        "labelPadding": 6,
                    },
                },
                "x": {
                    "field": "n",
                    "type": "quantitative",
                    "stack": True,
                    "title": "failed",
                    "axis": count_axis(
                        max((s.failed for s in failures.items), default=0), width, 100
                    ),
                },
                "color": {
                    "field": "state",
                    "type": "nominal",
                    "scale": {
                        "domain": list(STATE_COLORS),
                        "range": list(STATE_COLORS.values()),
                    },
                },
            },
        },
        height=max(60, 22 * len(order)),
        width=width,
    )


def label_limit(width: int) -> int:
    """The widest a failures chart's label is drawn (longer ones end in "…"): enough for
    "infobip status 9 UNDELIVERABLE_REJECTED_OPERATOR (general)" at the dashboard's width."""
    return min(400, int(width * 0.46))


def latency_label(low: int, high: int | None) -> str:
    """A latency bin's label, in the unit of its lower bound: "1\u20135 s", "30\u201360 min", "\u2265 1 h"."""
    base = high if low == 0 and high is not None else low
    size, unit = (3600, "h") if base >= 3600 else (60, "min") if base >= 60 else (1, "s")
    if high is None:
        return f"\u2265 {low // size} {unit}"
    return f"{low // size}\u2013{high // size} {unit}"


def latency_spec(latency: Latency) -> dict[str, Any]:
    """Final messages by time from sending to their final state."""
    order = [latency_label(b.low, b.high) for b in latency.bins]
    rows = [{"bin": label, "n": b.count} for label, b in zip(order, latency.bins, strict=True)]
    return _spec(
        "Time from sending to the final state",
        {
            "data": {"values": rows},
            "mark": {"type": "bar", "color": "#5c6bc0"},
            "encoding": {
                "x": {
                    "field": "bin",
                    "type": "ordinal",
                    "sort": order,
                    "title": None,
                    "axis": {"labelAngle": 0},
                },
                "y": {
                    "field": "n",
                    "type": "quantitative",
                    "title": "messages",
                    "axis": count_axis(max((b.count for b in latency.bins), default=0), 220),
                },
            },
        },
        height=220,
        width=440,
    )


_SVG_OPEN = re.compile(r"^<svg\b")


def to_svg(spec: dict[str, Any], name: str = "chart") -> str:
    """The chart as an SVG document (a string to inline in HTML), tagged data-chart=`name`.
    The last few charts are kept: the same figures are not drawn twice."""
    svg = _render(json.dumps(spec, sort_keys=True, separators=(",", ":")))
    return _SVG_OPEN.sub(f'<svg data-chart="{name}"', svg, count=1)


@functools.lru_cache(maxsize=64)
def _render(spec: str) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE, allowed_base_urls=[])
    return svg
