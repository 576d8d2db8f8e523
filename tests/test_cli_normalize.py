"""`dlrkit normalize` through the real entry point, on real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec

from .test_cli import run
from .test_normalize import INFOBIP_SMS, PLIVO_HANGUP, SMPP_RECEIPT


def _write_mixed(path: Path) -> None:
    lines = [
        json.dumps(INFOBIP_SMS).encode(),
        PLIVO_HANGUP,
        SMPP_RECEIPT,
        b"",
        b"{not json",
        b'{"hello": 1}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_jsonl_to_stdout_with_summary_and_skips(tmp_path: Path) -> None:
    src = tmp_path / "reports.jsonl"
    _write_mixed(src)
    proc = run("normalize", str(src), ok=1)
    outs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["message_id"] for o in outs] == ["m-1", "m-2", "c-1", "0123456789"]
    assert f"{src}:5: skipped" in proc.stderr
    assert f"{src}:6: skipped" in proc.stderr
    assert "6 payloads" not in proc.stderr  # the blank line is not a payload
    assert "5 payloads, 4 outcomes, 2 skipped as malformed" in proc.stderr
    assert "recipient_busy" in proc.stderr  # the summary table


def test_strict_stops_at_first_malformed(tmp_path: Path) -> None:
    src = tmp_path / "reports.jsonl"
    _write_mixed(src)
    proc = run("normalize", "--strict", str(src), "-o", str(tmp_path / "out.jsonl"), ok=2)
    assert ":5:" in proc.stderr
    assert "--strict" in proc.stderr


def test_csv_and_parquet_have_the_same_rows(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    src = tmp_path / "reports.jsonl"
    src.write_bytes(json.dumps(INFOBIP_SMS).encode() + b"\n" + PLIVO_HANGUP + b"\n")
    run("normalize", str(src), "-o", str(tmp_path / "o.csv"))
    run("normalize", str(src), "--to", "parquet", "-o", str(tmp_path / "o.parquet"))
    import csv

    with (tmp_path / "o.csv").open() as f:
        rows = list(csv.DictReader(f))
    table = pq.read_table(tmp_path / "o.parquet").to_pylist()
    assert (
        [r["message_id"] for r in rows] == [r["message_id"] for r in table] == ["m-1", "m-2", "c-1"]
    )
    assert rows[0]["state"] == table[0]["state"] == "delivered"
    assert table[2]["final"] is True
    assert rows[2]["final"] == "True"
    assert json.loads(table[1]["codes"])[1]["code"] == 27


def test_stdin_and_provider_option(tmp_path: Path) -> None:
    import subprocess

    from .test_cli import DLRKIT

    assert DLRKIT
    proc = subprocess.run(
        [DLRKIT, "normalize", "--provider", "smpp"],
        input=SMPP_RECEIPT + b"\n",
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (out,) = [json.loads(x) for x in proc.stdout.splitlines()]
    assert out["codes"][0]["code"] == "UNDELIV"


def test_parquet_needs_a_file() -> None:
    proc = run("normalize", "--to", "parquet", ok=2)
    assert "-o FILE.parquet" in proc.stderr


def test_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nprovider = "infobip"\ncode = 27\nretry = "now"\n')
    src = tmp_path / "in.json"
    src.write_text(json.dumps(INFOBIP_SMS, indent=2))  # a .json file is one payload
    outs = [
        json.loads(x) for x in run("normalize", str(src), "--rules", str(rules)).stdout.splitlines()
    ]
    assert outs[1]["retry"] == "now"
    assert outs[1]["decided_by"] == "rules:rules.toml#1"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nreason = "sad"\n')
    proc = run("normalize", str(src), "--rules", str(bad), ok=2)
    assert "bad.toml#1.reason" in proc.stderr


def _variants() -> list[bytes]:
    """Infobip SMS report lines, plain and odd: every oddity must come out as the general path's."""
    import copy
    import random

    from .test_normalize import INFOBIP_SMS

    rng = random.Random(11)
    out = []
    base = INFOBIP_SMS["results"]
    edits = [
        lambda r: r.update(sentAt="2026-11-24T12:00:10.123+0200"),
        lambda r: r.update(doneAt="2026-02-30T10:00:10.123+0000"),
        lambda r: r.update(doneAt="2026-11-24T10:00:10.000+0000"),
        lambda r: r.update(to="+33 6 12 34 56 78"),
        lambda r: r.update(to="0033612345678"),
        lambda r: r.update(to="4479111222333"),
        lambda r: r.update(to="590590274196"),
        lambda r: r.update(to=""),
        lambda r: r.update(messageId=12345),
        lambda r: r["status"].update(id="5"),
        lambda r: r.update(channel="WHATSAPP"),
        lambda r: r["error"].update(id=2053, name="EC_SOURCE_ADDRESS_BLACKLISTED", groupId=2),
        lambda r: r.pop("status"),
        lambda r: r.update(price={"pricePerMessage": 1, "currency": "USD"}),
        lambda r: r.update(price={"pricePerMessage": None, "currency": "USD"}),
        lambda r: r["error"].update(id=99999, name="EC_NEW"),
        lambda r: r.update(smsCount=None, messageCount=3),
        lambda r: r.update(callbackData='{"quoted": "yes \\u00e9"}'),
        lambda r: r.update(**{"from": "InfoSMS"}),
        lambda r: None,
    ]
    for i in range(400):
        r = copy.deepcopy(base[i % 2])
        r["messageId"] = f"m-{i}"
        edits[i % len(edits)](r)
        doc = {"results": [r]}
        if i % 7 == 0:
            doc["results"].append(dict(copy.deepcopy(base[0]), messageId=f"m-{i}-b"))
        out.append(json.dumps(doc, indent=2 if i % 13 == 0 else None).replace("\n", " ").encode())
        if rng.random() < 0.05:
            out.append(b'{"results": [{"messageId": "x"}]}')
    return out


def test_fast_lane_gives_exactly_the_general_paths_outcomes(tmp_path: Path) -> None:
    src = tmp_path / "infobip.jsonl"
    src.write_bytes(b"\n".join(_variants()) + b"\n")
    fast = run("normalize", str(src), "-o", str(tmp_path / "fast.jsonl"), ok=1)
    slow = run("normalize", "--no-fast-lane", str(src), "-o", str(tmp_path / "slow.jsonl"), ok=1)
    assert fast.stderr == slow.stderr  # the same skips and the same summary
    received = re.compile(rb'"received_at":"[^"]*"')
    a = received.sub(b"", (tmp_path / "fast.jsonl").read_bytes()).splitlines()
    b = received.sub(b"", (tmp_path / "slow.jsonl").read_bytes()).splitlines()
    assert len(a) == len(b) > 400
    for x, y in zip(a, b, strict=True):
        assert x == y  # byte for byte


def test_fast_lane_parquet_rows_equal_the_general_paths(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    src = tmp_path / "infobip.jsonl"
    src.write_bytes(b"\n".join(_variants()) + b"\n")
    run("normalize", str(src), "-o", str(tmp_path / "fast.parquet"), ok=1)
    run("normalize", "--no-fast-lane", str(src), "-o", str(tmp_path / "slow.parquet"), ok=1)
    a = pq.read_table(tmp_path / "fast.parquet").to_pylist()
    b = pq.read_table(tmp_path / "slow.parquet").to_pylist()
    assert len(a) == len(b) > 400
    for x, y in zip(a, b, strict=True):
        for r in (x, y):
            r.pop("received_at")
            r["raw"] = json.loads(r["raw"])
            r["codes"] = json.loads(r["codes"])
        assert x == y


def test_blocks_split_lines_as_iterating_the_file_does(monkeypatch: object) -> None:
    """Block reading: lines across blocks, longer than a block, CRLF, no final newline."""
    import io

    import pytest

    from dlrkit.cli import normalize_cmd

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    data = b"a\r\nbb\n\n" + b"c" * 50 + b"\nd\r\r\n e \n" + b"f" * 7
    for size in (1, 3, 8, 64, 1 << 20):
        monkeypatch.setattr(normalize_cmd, "BLOCK", size)
        got = [
            (n + i, line)
            for n, lines in normalize_cmd._blocks(io.BytesIO(data))
            for i, line in enumerate(lines)
        ]
        want = [(n, x.rstrip(b"\r\n")) for n, x in enumerate(io.BytesIO(data), 1)]
        assert got == want, size


def test_fast_lane_keeps_order_and_line_numbers(tmp_path: Path) -> None:
    """Declined lines between accepted ones: same bytes, same skips, CRLF and no final newline."""
    ok = json.dumps(INFOBIP_SMS, separators=(",", ":")).encode()
    lines = [ok, b"{not json", PLIVO_HANGUP, b"", ok.replace(b"m-1", b"m-9"), b'{"a":1}', ok]
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b"\r\n".join(lines))
    fast = run("normalize", str(src), "-o", str(tmp_path / "fast.jsonl"), ok=1)
    slow = run("normalize", "--no-fast-lane", str(src), "-o", str(tmp_path / "slow.jsonl"), ok=1)
    assert fast.stderr == slow.stderr
    assert f"{src}:2: skipped" in fast.stderr
    assert f"{src}:6: skipped" in fast.stderr
    received = re.compile(rb'"received_at":"[^"]*"')
    a = received.sub(b"", (tmp_path / "fast.jsonl").read_bytes())
    b = received.sub(b"", (tmp_path / "slow.jsonl").read_bytes())
    assert a == b
    assert a.count(b"\n") == 7  # three payloads of two reports, and a Plivo one


def test_parquet_chunks_row_groups_and_kinds(tmp_path: Path, monkeypatch: object) -> None:
    """Small chunks, row groups and kind tables: the same rows as the general path's."""
    import pyarrow.parquet as pq
    import pytest

    from dlrkit.cli import main
    from dlrkit.sinks import ParquetSink

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(ParquetSink, "CHUNK", 7)
    monkeypatch.setattr(ParquetSink, "ROW_GROUP", 20)
    monkeypatch.setattr(ParquetSink, "MAX_KINDS", 5)
    src = tmp_path / "infobip.jsonl"
    src.write_bytes(b"\n".join(_variants()) + b"\n")
    assert main(["normalize", str(src), "-o", str(tmp_path / "fast.parquet")]) == 1
    assert (
        main(["normalize", "--no-fast-lane", str(src), "-o", str(tmp_path / "slow.parquet")]) == 1
    )
    fast, slow = pq.ParquetFile(tmp_path / "fast.parquet"), pq.read_table(tmp_path / "slow.parquet")
    assert fast.metadata.num_row_groups > 10
    a, b = fast.read().to_pylist(), slow.to_pylist()
    assert len(a) == len(b) > 400
    for x, y in zip(a, b, strict=True):
        x.pop("received_at")
        y.pop("received_at")
        assert x == y


def test_jsonl_sink_short_writes(tmp_path: Path, monkeypatch: object) -> None:
    """`os.writev` may write less than asked (pipes, signals): the rest still gets written."""
    import os

    import pytest

    from dlrkit import sinks

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    real = os.writev

    def short(fd: int, buffers: list[bytes]) -> int:
        return real(fd, [b"".join(buffers)[:1000]])

    monkeypatch.setattr(sinks.os, "writev", short)
    pieces = [b'{"n":%d}\n' % i for i in range(3000)]
    path = tmp_path / "out.jsonl"
    with path.open("wb") as f:
        sink = sinks.JsonlSink(f)
        sink.write_encoded(pieces[:10], [])
        sink.write_encoded(pieces[10:], [])
        sink.close()
    assert path.read_bytes() == b"".join(pieces)


def test_summary_ties_keep_the_input_order(tmp_path: Path) -> None:
    """A general-path outcome before a fast-lane one, both counted once: the same summary."""
    one = dict(INFOBIP_SMS, results=INFOBIP_SMS["results"][1:])
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(PLIVO_HANGUP + b"\n" + json.dumps(one).encode() + b"\n")
    fast = run("normalize", str(src), "-o", str(tmp_path / "fast.jsonl"))
    slow = run("normalize", "--no-fast-lane", str(src), "-o", str(tmp_path / "slow.jsonl"))
    assert fast.stderr == slow.stderr


def test_bytes_that_are_not_utf8_are_skipped_alike(tmp_path: Path) -> None:
    """A bad byte in a string msgspec checks (messageId) or keeps raw (status, price) or skips
    (bulkId, a description): each line is skipped with the byte named, by both paths, with or
    without --provider, and the good lines around them are kept."""
    ok = json.dumps({"results": [{**INFOBIP_SMS["results"][0], "bulkId": "b1"}]}).encode()
    bad = [
        ok.replace(b'"m-1"', b'"m\xff"'),
        ok.replace(b'"DELIVERED_TO_HANDSET"', b'"DELIV\xffERED"'),
        ok.replace(b'"b1"', b'"b\xfe"'),
    ]
    src = tmp_path / "bytes.jsonl"
    src.write_bytes(b"\n".join([ok, *bad, ok.replace(b"m-1", b"m-2")]) + b"\n")
    for provider in ([], ["--provider", "infobip"]):
        fast = run("normalize", *provider, str(src), "-o", str(tmp_path / "f.jsonl"), ok=1)
        slow = run(
            "normalize",
            "--no-fast-lane",
            *provider,
            str(src),
            "-o",
            str(tmp_path / "s.jsonl"),
            ok=1,
        )
        assert fast.stderr == slow.stderr
        for n in (2, 3, 4):
            assert f"{src}:{n}: skipped" in fast.stderr
            assert "not valid UTF-8" in fast.stderr
        assert "Traceback" not in fast.stderr
        received = re.compile(rb'"received_at":"[^"]*"')
        a = received.sub(b"", (tmp_path / "f.jsonl").read_bytes())
        assert a == received.sub(b"", (tmp_path / "s.jsonl").read_bytes())
        assert a.count(b"\n") == 2


def test_an_output_name_no_format_means_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(INFOBIP_SMS) + "\n")
    bad = run("normalize", str(src), "-o", str(tmp_path / "out.xlsx"), ok=2)
    assert "--output" in bad.stderr
    assert "'.xlsx'" in bad.stderr
    assert not (tmp_path / "out.xlsx").exists()
    # a plain name is JSON Lines, and --to decides whatever the name
    run("normalize", str(src), "-o", str(tmp_path / "out.txt"))
    assert json.loads((tmp_path / "out.txt").read_text().splitlines()[0])["message_id"]
    run("normalize", str(src), "--to", "csv", "-o", str(tmp_path / "out.xlsx"))
    assert (tmp_path / "out.xlsx").read_text().startswith("message_id,")


def test_one_payload_is_said_in_the_singular(tmp_path: Path) -> None:
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(INFOBIP_SMS) + "\n")
    done = run("normalize", str(src), "-o", str(tmp_path / "out.jsonl"))
    assert done.stderr.startswith("1 payload, ")


def test_jsonl_sink_writes_behind_in_order(tmp_path: Path) -> None:
    """Outcomes from the general path (`write`) and the fast lane (`write_encoded`), mixed in
    many blocks, reach the file in the order they were given, through the writer thread."""
    from dlrkit import normalize, sinks

    outcome = normalize(PLIVO_HANGUP)[0]
    path = tmp_path / "out.jsonl"
    expected = []
    with path.open("wb") as f:
        sink = sinks.JsonlSink(f)
        for block in range(40):
            pieces = [b'{"block":%d,"n":%d}\n' % (block, i) for i in range(100 + block)]
            sink.write_encoded(pieces, [])
            expected += pieces
            sink.write(outcome)
            expected.append(msgspec.json.encode(outcome) + b"\n")
        sink.close()
    assert path.read_bytes() == b"".join(expected)


def test_jsonl_sink_raises_the_writers_error() -> None:
    """A write that fails in the writer thread (here a pipe nobody reads) is raised to the
    caller, by a later write or by `close`: never lost silently."""
    import os

    import pytest

    from dlrkit import sinks

    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "wb") as f:
        sink = sinks.JsonlSink(f)
        with pytest.raises(BrokenPipeError):  # noqa: PT012 - the error surfaces at either call
            for _ in range(20):
                sink.write_encoded([b"x" * 99 + b"\n"] * 100, [])
            sink.close()


def test_parquet_sink_raises_the_writers_error(tmp_path: Path) -> None:
    """Row groups are written by a thread: its failure (a full disk, say) reaches the caller."""
    import pytest

    from dlrkit import normalize, sinks

    outcome = normalize(PLIVO_HANGUP)[0]
    sink = sinks.ParquetSink(str(tmp_path / "out.parquet"))

    def full(table: object) -> None:
        raise OSError(28, "No space left on device")

    sink._writer.write_table = full  # type: ignore[method-assign]
    with pytest.raises(OSError, match="No space left"):  # noqa: PT012 - raised by either call
        for _ in range(sinks.ParquetSink.ROW_GROUP + sinks.ParquetSink.CHUNK):
            sink.write(outcome)
        sink.close()
