"""The dashboard's charts as Chromium draws them (with its own fonts, not vl-convert's): every
label inside its chart and whole, count axes with whole distinct ticks, a chart readable when
the data covers an hour of a week, and "no messages yet" instead of an empty frame."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import Served

# Every text of every chart: its box, its chart's box, and whether it is an axis label.
_TEXTS = """() => Array.from(document.querySelectorAll("svg[data-chart]")).flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll("text")).map(t => {
    const r = t.getBoundingClientRect();
    const axis = t.closest('[aria-roledescription="axis"]');
    return {chart: svg.dataset.chart, text: t.textContent,
            axis: axis ? axis.getAttribute("aria-label") : null,
            left: r.left - box.left, right: box.right - r.right,
            top: r.top - box.top, bottom: box.bottom - r.bottom};
  });
})"""


def _texts(page: Page) -> list[dict[str, object]]:
    texts: list[dict[str, object]] = page.evaluate(_TEXTS)
    assert texts, "no chart text on the page"
    return texts


def _assert_inside(texts: list[dict[str, object]]) -> None:
    outside = [
        t
        for t in texts
        if min(float(str(t[side])) for side in ("left", "right", "top", "bottom")) < -0.5
    ]
    assert outside == [], outside


def _assert_count_ticks(texts: list[dict[str, object]], chart: str, title: str) -> None:
    ticks = [
        str(t["text"])
        for t in texts
        if t["chart"] == chart and f"titled '{title}'" in str(t["axis"]) and t["text"] != title
    ]
    assert ticks, f"{chart}: no ticks on the axis {title!r}"
    assert len(ticks) == len(set(ticks)), ticks
    assert all(t.replace(",", "").isdigit() for t in ticks), ticks


def test_overview_charts_fit_and_count_in_whole_ticks(page: Page) -> None:
    texts = _texts(page)
    _assert_inside(texts)
    _assert_count_ticks(texts, "delivery", "messages")
    _assert_count_ticks(texts, "latency", "messages")


def test_an_hour_of_data_in_a_week_is_charted_readably(page: Page) -> None:
    # the traffic of these tests was all sent just now: a fresh install's week
    expect(page.locator("#delivery-note")).to_contain_text("No messages were received before")
    bars = page.locator('svg[data-chart="delivery"] .mark-rect.role-mark path')
    widths = [bars.nth(i).bounding_box() for i in range(bars.count())]
    drawn = [b["width"] for b in widths if b and b["height"] > 0]
    assert drawn, "no bar drawn"
    assert max(drawn) >= 15, drawn  # bars, not a sliver at the edge


def test_failure_labels_are_whole_and_inside_the_chart(page: Page, served: Served) -> None:
    for by in ("reason", "code", "country", "provider"):
        page.goto(f"{served.url}/dashboard/failures?by={by}")
        table = page.locator("#failures-table tbody tr td:first-child")
        expect(table.first).to_be_visible()
        texts = _texts(page)
        _assert_inside(texts)
        _assert_count_ticks(texts, "failures", "failed")
        labels = {str(t["text"]) for t in texts if str(t["axis"]).startswith("Y-axis")}
        rows = [r.strip().removesuffix(" not in catalog") for r in table.all_inner_texts()]
        assert labels == set(rows), by  # whole: as in the table, no "…"


def test_a_period_without_messages_says_so(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/dashboard?since=2020-01-01&until=2020-01-02")
    expect(page.locator("#delivery-panel .empty")).to_contain_text("No messages received")
    expect(page.locator("#latency-panel .empty")).to_contain_text("No message has reached")
    assert page.locator("svg[data-chart]").count() == 0
