"""Insights shown to people: periods, charts and the exported report.

The numbers come from the store (`Store.delivery_rate`, `failures_by`, `latency`,
`unknown_codes`, answered from rollups); this package decides which period to ask for
(`period`), draws the answers as SVG charts offline (`charts`, Vega-Lite through vl-convert)
and writes the self-contained HTML/PDF report of `dlrkit report` (`report`). The dashboard
(`dlrkit.service.dashboard`) uses the same periods and charts.
"""

from __future__ import annotations
