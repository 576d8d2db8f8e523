"""Charts: Vega-Lite specs from the store's answers, rendered offline to SVG by vl-convert."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re

import pytest

from dlrkit.insights import charts
from dlrkit.store.base import DeliveryRate, Failures, FailureSlice, Latency, LatencyBin, RatePoint

BOUNDS = (0, 1, 5, 30, 60, 300, 1800, 3600)


def _point(bucket: str, delivered: int, undelivered: int, pending: int = 0) -> RatePoint:
    final = delivered + undelivered
    return RatePoint(
        bucket=bucket,
        total=final + pending,
        accepted=0,
        pending=pending,
        delivered=delivered,
        undelivered=undelivered,
        rejected=0,
        expired=0,
        unknown=0,
        rate=delivered / final if final else None,
    )


def test_delivery_chart_draws_bars_and_the_rate_line() -> None:
    points = tuple(_point(f"2024-06-01T{h:02d}:00:00Z", h, 1, pending=h % 2) for h in range(24))
    rate = DeliveryRate(
        since="2024-06-01T00:00:00Z",
        until="2024-06-02T00:00:00Z",
        bucket="hour",
        summary=points[0],
        points=points,
    )
    spec = charts.delivery_spec(rate)
    bars, line = spec["layer"]
    assert len(bars["data"]["values"]) == 3 * 24  # delivered, failed, in flight per hour
    assert line["data"]["values"][2] == {"t": "2024-06-01T02:00:00Z", "rate": 2 / 3}
    svg = charts.to_svg(spec, "delivery")
    assert svg.startswith('<svg data-chart="delivery"')
    assert 'class="mark-rect role-mark' in svg
    assert 'class="mark-line role-mark' in svg
    assert "100%" in svg  # the rate axis
    assert "http" not in re.sub(r'xmlns(:xlink)?="[^"]+"', "", svg)  # nothing to fetch


@pytest.mark.parametrize(
    ("hourly", "buckets", "ticks"),
    [
        (True, 24, 8),
        (True, 168, {"interval": "day", "step": 1}),
        (False, 30, {"interval": "day", "step": 3}),
        (False, 90, {"interval": "day", "step": 7}),
        (False, 400, {"interval": "month", "step": 1}),
    ],
)
def test_time_axis_ticks_stay_few(hourly: bool, buckets: int, ticks: object) -> None:
    assert charts._time_axis(hourly, buckets)["tickCount"] == ticks


def test_failure_labels_are_escaped_and_sorted() -> None:
    failures = Failures(
        dimension="reason",
        since="",
        until="",
        failed=7,
        items=(
            FailureSlice(
                value="recipient_unreachable", failed=5, undelivered=5, rejected=0, expired=0
            ),
            FailureSlice(value="<b>&", failed=2, undelivered=0, rejected=2, expired=0),
        ),
    )
    spec = charts.failures_spec(failures)
    assert spec["encoding"]["y"]["sort"] == ["recipient unreachable", "<b>&"]
    svg = charts.to_svg(spec, "failures")
    assert "&lt;b&gt;&amp;" in svg
    assert "<b>" not in svg


def test_latency_bins_are_labelled_in_their_own_unit() -> None:
    labels = [
        charts.latency_label(low, high)
        for low, high in zip(BOUNDS, (*BOUNDS[1:], None), strict=True)
    ]
    assert labels == [
        "0\u20131 s",
        "1\u20135 s",
        "5\u201330 s",
        "30\u201360 s",
        "1\u20135 min",
        "5\u201330 min",
        "30\u201360 min",
        "\u2265 1 h",
    ]
    bins = tuple(
        LatencyBin(low=low, high=high, count=i)
        for i, (low, high) in enumerate(zip(BOUNDS, (*BOUNDS[1:], None), strict=True))
    )
    svg = charts.to_svg(charts.latency_spec(Latency(since="", until="", total=28, bins=bins)))
    assert svg.count("\u2013") >= 7


def test_the_same_figures_are_drawn_once() -> None:
    rate = DeliveryRate(
        since="2024-06-01T00:00:00Z",
        until="2024-06-01T01:00:00Z",
        bucket="hour",
        summary=_point("2024-06-01T00:00:00Z", 1, 0),
        points=(_point("2024-06-01T00:00:00Z", 1, 0),),
    )
    charts.to_svg(charts.delivery_spec(rate))
    before = charts._render.cache_info().hits
    again = charts.to_svg(charts.delivery_spec(rate), "again")
    assert charts._render.cache_info().hits == before + 1
    assert again.startswith('<svg data-chart="again"')


# The trial's faults: labels cut off on the left, repeated tick labels, a sliver of a chart.

START = dt.datetime(2026, 11, 18, 3, tzinfo=dt.UTC)
CODE_LABELS: dict[str | None, str] = {
    "infobip:status:general:9": "infobip status 9 UNDELIVERABLE_REJECTED_OPERATOR (general)",
    "infobip:error:general:27": "infobip error 27 EC_ABSENT_SUBSCRIBER (general)",
    "plivo:error:sms:1000": "plivo error 1000 (sms)",
}


def _hours(n: int) -> list[str]:
    return [(START + dt.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]


def _rate(counts: dict[int, int], buckets: int = 168, bucket: str = "hour") -> DeliveryRate:
    """A period of `buckets` hours whose bucket i got counts[i] messages, half delivered."""
    points = tuple(
        _point(b, counts.get(i, 0) // 2, counts.get(i, 0) - counts.get(i, 0) // 2)
        for i, b in enumerate(_hours(buckets))
    )
    total = sum(counts.values())
    return DeliveryRate(
        since=points[0].bucket,
        until="",
        bucket=bucket,
        summary=_point(points[0].bucket, total // 2, total - total // 2),
        points=points,
    )


def _codes(counts: tuple[int, ...] = (2, 1, 1)) -> Failures:
    items = tuple(
        FailureSlice(value=ref, failed=n, undelivered=n, rejected=0, expired=0)
        for ref, n in zip(CODE_LABELS, counts, strict=True)
    )
    return Failures(dimension="code", since="", until="", failed=sum(counts), items=items)


def _axis_labels(svg: str) -> dict[str, list[str]]:
    """Each axis's label texts, by the axis' aria-label ("X-axis titled 'failed' ...")."""
    axes: dict[str, list[str]] = {}
    for part in svg.split('aria-roledescription="axis"')[1:]:
        name = re.match(r'\s*aria-label="([^"]*)"', part)
        assert name, part[:200]
        group = re.search(r'role-axis-label"(.*?)</g>', part, re.S)
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", group.group(1)) if group else []
        axes[html.unescape(name.group(1))] = [html.unescape(t) for t in texts]
    return axes


def _count_ticks(svg: str, title: str) -> list[str]:
    found = [labels for name, labels in _axis_labels(svg).items() if f"titled '{title}'" in name]
    assert len(found) == 1, _axis_labels(svg).keys()
    return found[0]


def _assert_whole_distinct(ticks: list[str]) -> None:
    assert ticks, "no tick labels"
    assert len(ticks) == len(set(ticks)), ticks
    values = [int(t.replace(",", "")) for t in ticks]  # ValueError on "0.5"
    assert values == sorted(values)
    assert values[0] == 0


@pytest.mark.parametrize("width", [charts.WIDTH + charts.AXES_WIDTH, 760 + charts.AXES_WIDTH])
def test_failure_labels_are_whole_and_measured_with_the_font_drawn(width: int) -> None:
    svg = charts.to_svg(charts.failures_spec(_codes(), CODE_LABELS, width))
    labels = next(v for k, v in _axis_labels(svg).items() if k.startswith("Y-axis"))
    assert labels == list(CODE_LABELS.values())  # whole strings: nothing cut, no "…"
    # measured with the face Chromium on Debian draws (the generic family was measured with
    # vl-convert's narrower Liberation Sans: the labels ran off the left edge)
    assert re.search(r'font-family="DejaVu Sans, sans-serif"[^>]*>infobip status 9', svg)
    assert re.search(rf'<svg[^>]* width="{width}"', svg)  # labels inside the width given


def test_a_label_too_long_ends_with_an_ellipsis() -> None:
    long = "x" * 30 + " the end of a very long label that will not fit " * 4
    failures = Failures(
        dimension="operator",
        since="",
        until="",
        failed=1,
        items=(FailureSlice(value=long, failed=1, undelivered=1, rejected=0, expired=0),),
    )
    svg = charts.to_svg(charts.failures_spec(failures, width=760))
    (label,) = next(v for k, v in _axis_labels(svg).items() if k.startswith("Y-axis"))
    assert label.endswith("…")
    assert label.startswith("x" * 30)  # cut at the end, never at the start


@pytest.mark.parametrize("counts", [(1, 1, 1), (2, 1, 1), (3, 2, 1), (7, 3, 1), (10, 4, 2)])
@pytest.mark.parametrize("width", [charts.WIDTH, 760])
def test_failure_counts_have_whole_distinct_ticks(counts: tuple[int, ...], width: int) -> None:
    svg = charts.to_svg(charts.failures_spec(_codes(counts), CODE_LABELS, width))
    ticks = _count_ticks(svg, "failed")
    _assert_whole_distinct(ticks)
    assert int(ticks[-1]) >= counts[0]


@pytest.mark.parametrize("top", [1, 2, 3, 5, 9, 17, 240, 12345])
def test_message_counts_have_whole_distinct_ticks(top: int) -> None:
    rate = _rate({0: top, 5: 1}, buckets=24)
    _assert_whole_distinct(_count_ticks(charts.to_svg(charts.delivery_spec(rate)), "messages"))
    bins = tuple(
        LatencyBin(low=low, high=high, count=top if low == 5 else 0)
        for low, high in zip(BOUNDS, (*BOUNDS[1:], None), strict=True)
    )
    latency = charts.latency_spec(Latency(since="", until="", total=top, bins=bins))
    _assert_whole_distinct(_count_ticks(charts.to_svg(latency), "messages"))


def test_a_fresh_install_is_charted_from_a_day_before_its_first_hour() -> None:
    rate = _rate({167: 243})  # 7 days by the hour, messages in the last hour only
    window = charts.delivery_window(rate)
    assert len(window.points) == charts.MIN_BUCKETS["hour"]
    assert window.points[-1] is rate.points[-1]
    assert window.note == (
        "No messages were received before 25 Nov 2026 02:00 UTC: the chart starts at "
        "24 Nov 2026 03:00 UTC, not at the start of the period."
    )
    bars = charts.delivery_spec(rate)["layer"][0]
    assert len(bars["data"]["values"]) == 3 * 24
    assert bars["data"]["values"][0]["t"] == "2026-11-24T03:00:00Z"


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ({100: 5, 150: 1}, 68),  # from the first message on
        ({0: 1}, 168),  # from the start: the empty days after it are news (traffic stopped)
        ({30: 4, 160: 2}, 168),  # the first quarter has messages: the whole period
        ({}, 168),  # nothing at all: pages say so instead of charting it
    ],
)
def test_the_delivery_chart_leaves_out_only_a_long_empty_start(
    counts: dict[int, int], shown: int
) -> None:
    window = charts.delivery_window(_rate(counts))
    assert len(window.points) == shown
    assert (window.note is None) == (shown == 168)


def test_an_empty_period_has_no_messages_to_chart() -> None:
    assert not charts.has_messages(_rate({}))
    assert charts.has_messages(_rate({3: 1}))


def _x_labels(svg: str) -> list[tuple[float, str]]:
    """The x axis' visible label texts (Vega hides a crowded one with opacity 0), with their
    x positions, as drawn."""
    [part] = [p for p in svg.split('aria-roledescription="axis"')[1:] if "X-axis" in p[:200]]
    group = re.search(r'role-axis-label"(.*?)</g>', part, re.S)
    assert group
    texts = re.findall(r"<text([^>]*)>([^<]*)</text>", group.group(1))
    drawn = []
    for attributes, text in texts:
        if 'opacity="0"' in attributes:
            continue
        x = re.search(r"translate\(([-\d.]+),", attributes)
        assert x, attributes
        drawn.append((float(x.group(1)), html.unescape(text)))
    return drawn


@pytest.mark.parametrize("width", [360, 480, charts.WIDTH])
@pytest.mark.parametrize("buckets", [72, 14 * 24, 30 * 24])
def test_time_labels_never_overlap(width: int, buckets: int) -> None:
    """Long hourly periods in narrow charts (the report's): labels drawn apart, not "12 Nov13 Nov"."""
    rate = _rate(dict.fromkeys(range(buckets), 3), buckets=buckets)
    labels = _x_labels(charts.to_svg(charts.delivery_spec(rate, width=width)))
    assert len(labels) >= 2
    for (x1, t1), (x2, t2) in itertools.pairwise(labels):
        # centred 10 px labels, as wide as Chromium draws them (DejaVu Sans: ~6 px a character,
        # wider than the Liberation Sans vl-convert measures them with)
        assert x2 - x1 >= (len(t1) + len(t2)) / 2 * 6, labels
