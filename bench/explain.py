"""Benchmark: `dlrkit explain` start-up, catalog load, and look-ups per second.

    .venv/bin/python bench/explain.py [--runs 30]

Prints, measured side by side in one run:
  - cold process time of `dlrkit explain infobip 27` against `python -c pass` (goal: within 4x)
  - catalog load time: decode + index of the compiled catalog (goal: under 50 ms)
  - look-ups per second through Catalog.lookup (goal: over 1,000,000)
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from dlrkit import Catalog

    dlrkit = shutil.which("dlrkit", path=str(Path(sys.executable).parent)) or "dlrkit"
    # measure the normal state of an installed package: bytecode compiled and cached
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    import compileall

    import dlrkit as package

    compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    baseline_cmd = [sys.executable, "-c", "pass"]
    explain_cmd = [dlrkit, "explain", "infobip", "27"]
    for _ in range(3):  # warm the OS page cache and .pyc files
        wall(baseline_cmd, env)
        wall(explain_cmd, env)
    base, expl = [], []
    for _ in range(args.runs):  # interleaved, so both see the same machine load
        base.append(wall(baseline_cmd, env))
        expl.append(wall(explain_cmd, env))
    b, e = statistics.median(base), statistics.median(expl)

    data = resources.files("dlrkit.catalog").joinpath("compiled.json").read_bytes()
    loads = []
    for _ in range(args.runs):
        t = time.perf_counter()
        cat = Catalog.from_json(data)
        loads.append(time.perf_counter() - t)
    load = statistics.median(loads)

    keys = [(x.provider, x.code) for x in cat.entries]
    lookup = cat.lookup
    n = 2_000_000
    stream = list(itertools.islice(itertools.cycle(keys), n))
    t = time.perf_counter()
    for provider, code in stream:
        lookup(provider, code)
    per_s = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for _provider, _code in stream:
        pass
    loop_only = n / (time.perf_counter() - t)

    print(f"catalog: {len(cat.entries)} entries, compiled {len(data) / 1024:.0f} KiB")
    print(f"python -c pass          median {b * 1000:7.1f} ms  ({args.runs} runs)")
    print(f"dlrkit explain infobip 27 median {e * 1000:5.1f} ms  ratio {e / b:.2f}x  (goal <= 4x)")
    print(f"catalog load (decode+index) median {load * 1000:.1f} ms  (goal < 50 ms)")
    print(f"lookups/s {per_s:,.0f}  (goal > 1,000,000; empty loop {loop_only:,.0f}/s)")


if __name__ == "__main__":
    main()
