"""Compile the TOML data files into `compiled.json`, the form `dlrkit` loads at run time.

python -m dlrkit.catalog.build           # write src/dlrkit/catalog/compiled.json
python -m dlrkit.catalog.build --check   # exit 1 if the compiled file is stale (CI runs this)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dlrkit.catalog.loader import load_directory
from dlrkit.errors import CatalogError

HERE = Path(__file__).parent
DATA = HERE / "data"
COMPILED = HERE / "compiled.json"


def compile_bytes(data_dir: Path = DATA) -> bytes:
    compiled = load_directory(data_dir)
    data = compiled.to_dict()
    rows = data.pop("entries")
    head = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # one entry per line: compact to load, still readable as a diff
    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    return (head[:-1] + ',"entries":[\n' + body + "\n]}\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlrkit.catalog.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep the examples' lines
    )
    parser.add_argument("--check", action="store_true", help="fail if compiled.json is out of date")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="data directory (default: the package's)"
    )
    parser.add_argument("--out", type=Path, default=COMPILED, help="where to write compiled.json")
    args = parser.parse_args(argv)
    try:
        fresh = compile_bytes(args.data)
    except CatalogError as exc:
        print(f"catalog error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = args.out.read_bytes() if args.out.exists() else b""
        if current != fresh:
            print(f"{args.out} is stale: run python -m dlrkit.catalog.build", file=sys.stderr)
            return 1
        print(f"{args.out.name} is up to date")
        return 0
    args.out.write_bytes(fresh)
    print(f"wrote {args.out} ({len(fresh):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
