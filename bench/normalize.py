"""Benchmark: `dlrkit normalize` throughput against bare JSON parsing, and memory on a big input.

    .venv/bin/python bench/normalize.py [--lines 1000000] [--big-gb 2] [--skip-big]

Generates one million realistic Infobip SMS report lines (bench/gen_infobip.py) and prints, in one
run: reports/s through `dlrkit normalize` to JSON Lines and to Parquet (real CLI processes,
start-up included), reports/s of bare JSON parsing of the same lines (msgspec and the standard
library, the floor), their ratio, and the peak memory (max RSS) of `dlrkit normalize` on a
file of `--big-gb` GB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def dlrkit() -> str:
    return shutil.which("dlrkit", path=str(Path(sys.executable).parent)) or "dlrkit"


def generate(n: int, path: Path) -> None:
    subprocess.run([sys.executable, str(HERE / "gen_infobip.py"), str(n), str(path)], check=True)


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and this child's own peak RSS in MiB (os.wait4 reports it per process)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed with {proc.returncode}")
    return elapsed, usage.ru_maxrss // 1024


def floor(path: Path) -> tuple[float, float]:
    import json

    import msgspec

    decode = msgspec.json.Decoder().decode
    with path.open("rb") as f:
        t = time.perf_counter()
        n = 0
        for line in f:
            decode(line)
            n += 1
        fast = n / (time.perf_counter() - t)
    with path.open("rb") as f:
        t = time.perf_counter()
        for line in f:
            json.loads(line)
        std = n / (time.perf_counter() - t)
    return fast, std


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--big-gb", type=float, default=2.0)
    p.add_argument("--skip-big", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlrkit-bench-") as tmp:
        src = Path(tmp) / "reports.jsonl"
        generate(a.lines, src)
        size = src.stat().st_size
        n = a.lines
        jsonl_s, jsonl_rss = timed(
            [dlrkit(), "normalize", str(src), "-o", str(Path(tmp) / "out.jsonl")]
        )
        general_s, _ = timed(
            [dlrkit(), "normalize", "--no-fast-lane", str(src), "-o", str(Path(tmp) / "out2.jsonl")]
        )
        pq_s, pq_rss = timed(
            [dlrkit(), "normalize", str(src), "-o", str(Path(tmp) / "out.parquet")]
        )
        fast, std = floor(src)
        norm = n / jsonl_s
        print(f"input: {n:,} Infobip SMS report lines, {size / 1e6:,.0f} MB")
        print(f"bare JSON parsing (msgspec)        {fast:12,.0f} reports/s   (the floor)")
        print(f"bare JSON parsing (json stdlib)    {std:12,.0f} reports/s")
        print(
            f"dlrkit normalize -> JSONL          {norm:12,.0f} reports/s   ratio to floor {fast / norm:.1f}x"
        )
        print(
            f"dlrkit normalize -> JSONL, general {n / general_s:12,.0f} reports/s   (--no-fast-lane)"
        )
        print(
            f"dlrkit normalize -> Parquet        {n / pq_s:12,.0f} reports/s   ratio to floor {fast * pq_s / n:.1f}x"
        )
        print(f"peak RSS: JSONL {jsonl_rss} MiB, Parquet {pq_rss} MiB (on {size / 1e6:,.0f} MB)")
        if not a.skip_big:
            big = Path(tmp) / "big.jsonl"
            lines_for_big = int(a.big_gb * 1e9 / (size / n))
            generate(lines_for_big, big)
            big_s, big_rss = timed([dlrkit(), "normalize", str(big), "-o", os.devnull])
            print(
                f"big input: {big.stat().st_size / 1e9:.2f} GB, {lines_for_big:,} lines: "
                f"{lines_for_big / big_s:,.0f} reports/s, peak RSS {big_rss} MiB (goal < 300 MiB)"
            )


if __name__ == "__main__":
    main()
