"""The CLI through its real entry point (the installed `dlrkit` script), as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlrkit import Catalog

DLRKIT = shutil.which("dlrkit", path=str(Path(sys.executable).parent)) or shutil.which("dlrkit")


def run(*args: str, ok: int = 0) -> subprocess.CompletedProcess[str]:
    assert DLRKIT, "the dlrkit console script is not installed"
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [DLRKIT, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert proc.returncode == ok, (
        f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    )
    assert "Traceback" not in proc.stderr
    return proc


def test_export_json_has_one_record_per_entry(catalog: Catalog) -> None:
    records = json.loads(run("codes", "export", "--format", "json").stdout)
    assert isinstance(records, list)
    assert len(records) == len(catalog.entries)
    keys = {
        "provider",
        "kind",
        "channel",
        "code",
        "name",
        "group_id",
        "group_name",
        "permanent",
        "description",
        "action",
        "state",
        "reason",
        "retry",
        "party",
        "standard",
        "sources",
        "legacy",
        "replaced_by",
        "retired",
    }
    assert all(keys <= set(r) for r in records)
    (r5004,) = [r for r in records if r["provider"] == "infobip" and r["code"] == 5004]
    assert r5004["replaced_by"] == [10400, 10401, 10402]
    assert r5004["legacy"] is True
    assert r5004["sources"] == [
        "001_1301a07079af433e.txt",
        "002_6890c7c437132ca3.txt",
        "000_0f4f1a13effe02f0.txt",
    ]


def test_export_csv_round_trips(catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    run("codes", "export", "--format", "csv", "--provider", "plivo", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(catalog.select("plivo"))
    (busy,) = [r for r in rows if r["code"] == "3010"]
    assert busy["name"] == "Busy Line"
    assert busy["standard"] == "sip:response:486"


def test_explain_shows_both_names_of_2053() -> None:
    out = run("explain", "infobip", "2053").stdout
    assert "EC_BLACKLISTED_SENDERADDRESS" in out
    assert "EC_SOURCE_ADDRESS_BLACKLISTED" in out


def test_explain_shows_the_group_conflict_of_5480() -> None:
    out = run("explain", "infobip", "5480").stdout
    assert "CONFLICT" in out
    assert "group_id" in out
    assert "001: 1" in out
    assert "000: 3" in out
    data = json.loads(run("explain", "infobip", "5480", "--json").stdout)
    assert data[0]["conflicts"][0]["values"] == {"001": 1, "000": 3}


def test_translate_legacy_and_back() -> None:
    out = run("translate", "infobip", "5004").stdout
    for code in ("10400", "10401", "10402"):
        assert code in out
    back = json.loads(run("translate", "infobip", "10400", "--json").stdout)
    assert [c["code"] for c in back[0]["codes"]] == [5004]
    none = run("translate", "infobip", "5414").stdout
    assert "names no new code" in none


def test_explain_plivo_3010_names_equivalents_and_sip() -> None:
    data = json.loads(run("explain", "plivo", "3010", "--json").stdout)[0]
    assert data["standard"] == "sip:response:486"
    eq = {(e["provider"], e["code"]) for e in data["relations"]["equivalents"]}
    assert {("infobip", 5002), ("infobip", 10201), ("plivo", 3100)} <= eq
    text = run("explain", "plivo", "3010").stdout
    assert "SIP 486" in text
    assert "infobip error 5002" in text


@pytest.mark.parametrize(
    ("provider", "code", "name"),
    [
        ("sip", "486", "Busy Here"),
        ("smpp", "ESME_RINVDSTADR", "ESME_RINVDSTADR"),
        ("smpp", "0x0B", "ESME_RINVDSTADR"),
        ("q850", "17", "User busy"),
        ("smpp", "DELIVRD", "DELIVERED"),
        ("infobip", "EC_ABSENT_SUBSCRIBER", "EC_ABSENT_SUBSCRIBER"),
    ],
)
def test_explain_standards_and_names(provider: str, code: str, name: str) -> None:
    data = json.loads(run("explain", provider, code, "--json").stdout)
    assert data
    assert data[0]["name"] == name


def test_unknown_code_is_a_clear_message_with_exit_1() -> None:
    proc = run("explain", "infobip", "99999", ok=1)
    assert proc.stdout == ""
    assert "no code or name '99999'" in proc.stderr
    assert "closest known codes" in proc.stderr
    proc = run("explain", "smpp", "ESME_RINVDSTADDR", ok=1)
    assert "ESME_RINVDSTADR" in proc.stderr


def test_bad_usage_exits_2() -> None:
    proc = run("explain", "nosuchprovider", "1", ok=2)
    assert "invalid choice" in proc.stderr


def test_search_finds_by_words() -> None:
    out = json.loads(
        run("codes", "search", "absent subscriber", "--provider", "infobip", "--json").stdout
    )
    assert 27 in {r["code"] for r in out}
    run("codes", "search", "zzzzqqq", ok=1)


def test_list_filters() -> None:
    out = json.loads(
        run("codes", "list", "--provider", "infobip", "--channel", "dlt", "--json").stdout
    )
    assert [r["code"] for r in out] == [4106, 4107, 4108, 4109, 4110, 4111]


def test_an_unknown_code_with_json_answers_json_on_stdout() -> None:
    proc = run("explain", "infobip", "99999", "--json", ok=1)
    answer = json.loads(proc.stdout)
    assert "no code or name '99999'" in answer["error"]
    assert answer["suggestions"]
    assert set(answer["suggestions"][0]) == {"provider", "code", "name"}
    assert "no code or name" in proc.stderr  # and said on stderr, as without --json
    translate = run("translate", "infobip", "27", "--json", ok=1)
    assert "translate handles" in json.loads(translate.stdout)["error"]
