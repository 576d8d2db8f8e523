"""`dlrkit suppressions list|add|remove|check|export` and `dlrkit report` (HTML and PDF), run as
child processes against a SQLite store filled through the service's webhooks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlrkit.cli.decide_parser import REASONS
from dlrkit.vocab import Reason
from tests.service.conftest import dlrkit


@pytest.fixture
async def data_dir(service_factory: Callable[..., Any], tmp_path: Path) -> Path:
    """A data directory whose store received the Infobip SMS fixture and three SMPP receipts."""
    async with service_factory() as svc:
        await svc.load_samples()
    return tmp_path / "svc0"


def test_reason_choices_are_the_vocabulary() -> None:
    assert tuple(r.value for r in Reason) == REASONS


@pytest.mark.anyio
async def test_suppressions_commands(data_dir: Path) -> None:
    store = ("--data-dir", str(data_dir))
    listed = dlrkit("suppressions", "list", *store, "--json")
    assert listed.returncode == 0, listed.stderr
    [auto] = json.loads(listed.stdout)
    assert (auto["recipient"], auto["reason"], auto["source"]) == (
        "+33700000001",
        "recipient_invalid",
        "auto",
    )

    added = dlrkit(
        "suppressions", "add", "0033611223344", "--until", "2999-01-31", "--note", "asked", *store
    )
    assert added.returncode == 0, added.stderr
    assert "+33611223344: recipient_opted_out until 2999-02-01T00:00:00" in added.stdout
    check = dlrkit("suppressions", "check", "+33611223344", *store, "--json")
    assert check.returncode == 0  # suppressed: like grep, 0 means found
    assert json.loads(check.stdout)["suppression"]["note"] == "asked"
    plain = dlrkit("suppressions", "list", *store, "--source", "manual")
    assert "+33611223344" in plain.stdout
    assert "+33700000001" not in plain.stdout

    exported = dlrkit("suppressions", "export", *store)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["recipient"] for r in rows] == ["+33611223344", "+33700000001"]
    assert exported.stderr.strip() == "exported 2 suppressions"
    out = data_dir / "s.jsonl"
    assert dlrkit("suppressions", "export", "-f", "jsonl", "-o", str(out), *store).returncode == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["permanent"] for x in lines] == [False, True]
    named = data_dir / "named.jsonl"  # no --format: the file's name says JSON Lines
    assert dlrkit("suppressions", "export", "-o", str(named), *store).returncode == 0
    assert named.read_text() == out.read_text()

    removed = dlrkit("suppressions", "remove", "+33611223344", *store)
    assert (removed.returncode, removed.stdout.strip()) == (
        0,
        "lifted the suppression of +33611223344",
    )
    again = dlrkit("suppressions", "remove", "+33611223344", *store)
    assert again.returncode == 1
    assert "not on the suppression list" in again.stderr
    free = dlrkit("suppressions", "check", "+33611223344", *store)
    assert (free.returncode, free.stdout.strip()) == (1, "not suppressed: +33611223344")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "+33611223344", "--until", "someday"), "--until"),
        (("add", "+33611223344", "--until", "2001-01-01"), "--until: must be in the future"),
        (("add", "+33611223344", "--reason", "bored"), "invalid choice"),
        (("list", "--limit", "0"), "--limit"),
        (("export", "-o", "/nonexistent/dir/x.csv"), "--output"),
    ],
)
def test_suppressions_bad_input(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = dlrkit("suppressions", *args, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def _charts(html: str) -> list[str]:
    return re.findall(r'<svg data-chart="([a-z-]+)"', html)


@pytest.mark.anyio
async def test_report_html_is_self_contained(data_dir: Path) -> None:
    out = data_dir / "report.html"
    today = dt.datetime.now(dt.UTC).date()
    since, until = (today - dt.timedelta(days=1)).isoformat(), today.isoformat()
    done = dlrkit(
        "report", "--from", since, "--to", until, "-o", str(out), "--data-dir", str(data_dir)
    )
    assert done.returncode == 0, done.stderr
    assert "6 messages, 2 delivered" in done.stderr
    html = out.read_text()
    assert _charts(html) == [
        "delivery",
        "failures-reason",
        "failures-code",
        "failures-country",
        "latency",
    ]
    assert html.count('class="mark-rect role-mark') >= 4  # bars drawn, not empty frames
    assert "33.3 %" in html  # 2 delivered of 6 final
    assert "recipient unreachable" in html
    assert "infobip error 27 EC_ABSENT_SUBSCRIBER (general)" in html
    # nothing to fetch: no script, no stylesheet link, no external source
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.mark.anyio
async def test_report_pdf_is_printed_by_chromium(data_dir: Path) -> None:
    out = data_dir / "report.pdf"
    today = dt.datetime.now(dt.UTC).date()
    done = dlrkit(
        "report",
        "--from",
        (today - dt.timedelta(days=30)).isoformat(),
        "--to",
        today.isoformat(),
        "-o",
        str(out),
        "--title",
        "Week 48",
        "--data-dir",
        str(data_dir),
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(data) > 20_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2024-06-01", "--to", "2024-06-30", "-o", "r.txt"), "--output"),
        (("--from", "June", "--to", "2024-06-30", "-o", "r.html"), "--from"),
        (
            ("--from", "2024-06-30", "--to", "2024-06-01", "-o", "r.html"),
            "--to: must be later than --from",
        ),
        (
            ("--from", "2024-06-01", "--to", "2024-06-30", "-o", "r.html", "--country", "FRA"),
            "--country",
        ),
        (
            ("--from", "2024-06-01", "--to", "2024-06-30", "-o", "r.html", "--channel", "fax"),
            "--channel",
        ),
    ],
)
def test_report_bad_input(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = dlrkit("report", *args, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
