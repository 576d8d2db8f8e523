"""The README shows real output: its `dlrkit normalize` examples are re-run and compared."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlrkit.cli import build_parser

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


def _leaves(parser: argparse.ArgumentParser, path: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every command's own parser by its words ("codes list", "keys create", "report")."""
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.update(_leaves(sub, f"{path} {name}".strip()))
    return out or {path: parser}


def test_readme_json_claim_is_true() -> None:
    """The commands the README says take --json do; the exports it excepts take --format."""
    text = " ".join(README.split())
    claim = re.search(r"`--json` prints JSON with (.*?), except the exports", text)
    assert claim, "the README's sentence about --json moved: update this test"
    named = re.findall(r"`([a-z ]+)`", claim.group(1))
    assert named
    leaves = _leaves(build_parser())
    checked = 0
    for command in named:
        for words, parser in leaves.items():
            if (words == command or words.startswith(command + " ")) and not words.endswith(
                " export"
            ):
                assert "--json" in parser._option_string_actions, f"dlrkit {words} has no --json"
                checked += 1
    assert checked >= len(named)
    for words in ("codes export", "suppressions export"):
        assert "--format" in leaves[words]._option_string_actions


def test_readme_walkthrough_sets_the_key(tmp_path: Path) -> None:
    """The walkthrough exports KEY before using it, with a command that prints only the key."""
    walkthrough = README.split("## Five minutes", 1)[1].split("\n## ", 1)[0]
    assert "Ctrl-C" in walkthrough.split("```sh", 1)[0]  # the first command's server is stopped
    line = next(s for s in walkthrough.splitlines() if s.startswith("export KEY="))
    assert walkthrough.index(line) < walkthrough.index("$KEY")
    command = line.split("#", 1)[0].strip().replace("./data", str(tmp_path / "data"))
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(
        ["bash", "-c", f'{command} && printf %s "$KEY"'],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        timeout=60,
        check=True,
    )
    assert re.fullmatch(r"dlrk_[A-Za-z0-9_-]+", proc.stdout), proc.stdout
