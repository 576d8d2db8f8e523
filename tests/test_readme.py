"""The README shows real output: its `dlrkit normalize` examples are re-run and compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_cli import run

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(
    r"```console\n\$ dlrkit normalize (\S+) -o outcomes\.jsonl\n(.*?)```", README, re.S
)


def test_readme_has_normalize_examples_for_every_provider() -> None:
    assert {Path(f).name.split("-")[0] for f, _ in BLOCKS} == {
        "infobip",
        "plivo",
        "smspartner",
        "smpp",
    }


@pytest.mark.parametrize(("path", "shown"), BLOCKS, ids=[f for f, _ in BLOCKS])
def test_readme_normalize_output_is_true(path: str, shown: str, tmp_path: Path) -> None:
    proc = run("normalize", str(ROOT / path), "-o", str(tmp_path / "outcomes.jsonl"))
    assert proc.stderr.strip() == shown.strip()
