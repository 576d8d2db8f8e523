"""The delivery report of `dlrkit report`: one self-contained HTML file (inline CSS, inline SVG
charts, no script, nothing fetched), readable offline, and its PDF printed by headless Chromium.

    data = await gather(store, period)           # every figure, from the store's rollups
    Path("report.html").write_text(render_html(data))
    write_pdf(render_html(data), Path("report.pdf"))  # needs Chromium (Debian: chromium)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup

from dlrkit.catalog import Catalog
from dlrkit.errors import DlrkitError
from dlrkit.insights.charts import (
    AXES_WIDTH,
    delivery_spec,
    delivery_window,
    failures_spec,
    has_messages,
    latency_label,
    latency_spec,
    to_svg,
)
from dlrkit.insights.html import html_environment
from dlrkit.insights.period import Period
from dlrkit.store.base import DeliveryRate, Failures, Latency, Store, UnknownCode

DIMENSIONS = ("reason", "code", "provider", "channel", "country", "operator")
CHART_WIDTH = 760  # the report's column (and an A4 page) is narrower than the dashboard's
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 120
# Headless Chromium as a tool: no sandbox (containers), GPU, network chatter, sync or first run.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class ReportError(DlrkitError):
    """The report could not be written (no Chromium for a PDF, or Chromium failed)."""


class ReportData(NamedTuple):
    period: Period
    filters: dict[str, str]  # provider, channel, country when given
    rate: DeliveryRate
    failures: dict[str, Failures]  # by dimension
    latency: Latency
    unknown: list[UnknownCode]
    generated_at: dt.datetime


async def gather(
    store: Store,
    period: Period,
    *,
    provider: str | None = None,
    channel: str | None = None,
    country: str | None = None,
    limit: int = 15,
) -> ReportData:
    """Every figure of the report, asked of the store at once."""
    flt = period.filter(provider=provider, channel=channel, country=country)
    rate, latency, unknown, by = await asyncio.gather(
        store.delivery_rate(flt, bucket=period.bucket),
        store.latency(flt),
        store.unknown_codes(limit=limit),
        asyncio.gather(*(store.failures_by(d, flt, limit=limit) for d in DIMENSIONS)),
    )
    filters = {
        k: v
        for k, v in (("provider", provider), ("channel", channel), ("country", flt.country))
        if v
    }
    return ReportData(
        period=period,
        filters=filters,
        rate=rate,
        failures=dict(zip(DIMENSIONS, by, strict=True)),
        latency=latency,
        unknown=unknown,
        generated_at=dt.datetime.now(dt.UTC),
    )


def _code_labels(failures: Failures, catalog: Catalog) -> dict[str | None, str]:
    """Code slices named as people read them: "infobip error 27 EC_ABSENT_SUBSCRIBER"."""
    labels: dict[str | None, str] = {}
    for s in failures.items:
        if s.value is None or s.value.count(":") < 3:
            continue
        provider, kind, channel, code = s.value.split(":", 3)
        try:
            found = catalog.lookup(provider, code, kind, channel)
        except ValueError:  # the catalog's code parser trips on some non-ASCII digits
            found = ()
        name = f" {found[0].name}" if found and found[0].name else ""
        labels[s.value] = f"{provider} {kind.replace('_', ' ')} {code}{name} ({channel})"
    return labels


def render_html(data: ReportData, *, catalog: Catalog | None = None, title: str = "") -> str:
    """The report as one HTML document with everything inline."""
    cat = catalog or Catalog.default()
    # The SVGs are vl-convert's own output, in which Vega escapes every label: safe to inline.
    code_labels = _code_labels(data.failures["code"], cat)
    # no chart of nothing: the template says "no messages" instead of an empty frame
    charts: dict[str, Markup] = {}
    if has_messages(data.rate):
        charts["delivery"] = Markup(to_svg(delivery_spec(data.rate, CHART_WIDTH), "delivery"))
    if data.latency.total:
        charts["latency"] = Markup(to_svg(latency_spec(data.latency), "latency"))
    for dim in ("reason", "country", "code"):
        found = data.failures[dim]
        if found.items:
            labels = code_labels if dim == "code" else None
            spec = failures_spec(found, labels, CHART_WIDTH + AXES_WIDTH)
            svg = to_svg(spec, f"failures-{dim}")
            charts[f"failures_{dim}"] = Markup(svg)
    s = data.rate.summary
    failed = s.undelivered + s.rejected + s.expired
    context: dict[str, Any] = {
        "title": title or "Delivery report",
        "data": data,
        "summary": s,
        "failed": failed,
        "open": s.total - s.delivered - failed,
        "charts": charts,
        "delivery_note": delivery_window(data.rate).note if "delivery" in charts else None,
        "code_labels": code_labels,
        "latency_label": latency_label,
        "dimensions": DIMENSIONS,
        "generated": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }
    return html_environment("dlrkit.insights").get_template("report.html").render(**context)


def find_chromium() -> str:
    """Chromium's executable: $DLRKIT_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    given = os.environ.get("DLRKIT_CHROMIUM")
    if given:
        return given
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "a PDF is printed by headless Chromium, which was not found: install it "
        "(Debian: apt-get install chromium) or set DLRKIT_CHROMIUM, or write -o report.html"
    )


def write_pdf(html: str, out: Path, *, chromium: str | None = None) -> None:
    """Print `html` to the PDF file `out` with headless Chromium (no network, no profile kept)."""
    exe = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="dlrkit-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = out.resolve()
        command = [
            exe,
            "--headless",
            *CHROMIUM_FLAGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PDF_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"could not run Chromium ({exe}): {exc}") from exc
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise ReportError(f"Chromium did not print the PDF: {' / '.join(tail)}")
