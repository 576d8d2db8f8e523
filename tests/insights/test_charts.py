"""Charts: Vega-Lite specs from the store's answers, rendered offline to SVG by vl-convert."""

from __future__ import annotations

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
