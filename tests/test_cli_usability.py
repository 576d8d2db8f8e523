"""What a new user trips over: usage errors that name the command and the option, read commands
that refuse a mistyped data directory, ports, and the help texts."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dlrkit.errors import InputError
from dlrkit.rules import Rules

from .test_cli import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (
            ("report", "--from", "2026-11-01", "--to", "2026-11-02", "-o", "r.html", "--json"),
            "report",
        ),
        (("codes", "export", "--json"), "codes export"),
        (("normalize", "--bogus"), "normalize"),
        (("explain", "infobip", "27", "--bogus"), "explain"),
    ],
)
def test_an_unknown_option_shows_the_commands_usage(args: tuple[str, ...], usage: str) -> None:
    proc = run(*args, ok=2)
    assert f"usage: dlrkit {usage} " in proc.stderr
    assert f"dlrkit {usage}: error: unrecognized arguments: {args[-1]}" in proc.stderr


@pytest.mark.parametrize("command", ["serve", "sandbox"])
@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_ports_are_checked(command: str, port: str) -> None:
    proc = run(command, "--port", port, ok=2)
    assert "argument --port:" in proc.stderr
    assert "65535" in proc.stderr or "not a port number" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--from", "2026-11-01", "--to", "2026-11-25", "-o", "{tmp}/report.html"),
        ("suppressions", "list"),
        ("suppressions", "check", "+33612345678"),
        ("suppressions", "remove", "+33612345678"),
        ("suppressions", "export", "-o", "{tmp}/out.csv"),
        ("keys", "list"),
        ("keys", "revoke", "k1"),
    ],
)
def test_read_commands_refuse_a_missing_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    typo = tmp_path / "typo"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run(*argv, "--data-dir", str(typo), ok=2)
    assert f"--data-dir: no database at {typo / 'dlrkit.db'}" in proc.stderr
    assert not any(tmp_path.iterdir())  # no report, no export, no database
    proc = run(*argv, "--db", f"sqlite:///{typo}/x.db", ok=2)
    assert f"--db: no database at {typo / 'x.db'}" in proc.stderr


def test_creating_commands_create_the_database(tmp_path: Path) -> None:
    data = ("--data-dir", str(tmp_path / "data"))
    secret = run("keys", "create", "walkthrough", *data, "--quiet").stdout
    assert secret.startswith("dlrk_")
    assert secret == secret.strip() + "\n"  # the key alone, on one line
    [key] = json.loads(run("keys", "list", *data, "--json").stdout)
    assert secret.startswith(key["prefix"])
    run("suppressions", "check", "+33612345678", *data, ok=1)  # exists now: "not suppressed"
    fresh = ("--data-dir", str(tmp_path / "fresh"))
    run("suppressions", "add", "+33612345678", *fresh)
    run("suppressions", "check", "+33612345678", *fresh)


def test_keys_create_quiet_and_json_do_not_mix(tmp_path: Path) -> None:
    proc = run("keys", "create", "k", "--quiet", "--json", "--data-dir", str(tmp_path), ok=2)
    assert "not allowed with" in proc.stderr
    assert "--quiet" in run("keys", "create", "--help").stdout


def test_errors_name_the_options(tmp_path: Path) -> None:
    data = ("--data-dir", str(tmp_path))
    proc = run("report", "--from", "2026-11-25", "--to", "2026-11-01", "-o", "r.html", *data, ok=2)
    assert "dlrkit: --to: must be later than --from" in proc.stderr
    proc = run("suppressions", "add", "+33612345678", "--until", "2020-01-01", *data, ok=2)
    assert "dlrkit: --until: must be in the future" in proc.stderr
    assert not any(tmp_path.iterdir())  # refused before the store was opened
    proc = run("serve", "--accounts", str(tmp_path / "nope.toml"), *data, ok=2)
    assert "dlrkit: --accounts: cannot read accounts file" in proc.stderr
    assert "DLRKIT_ACCOUNTS_FILE" not in proc.stderr


def test_translate_says_what_it_translates() -> None:
    proc = run("translate", "infobip", "27", ok=1)
    assert "Infobip voice error codes, legacy 5xxx and new 10xxx" in proc.stderr
    assert "EC_ABSENT_SUBSCRIBER" in proc.stderr  # what 27 is instead
    proc = run("translate", "infobip", "99999", ok=1)
    assert "legacy 5xxx and new 10xxx" in proc.stderr


def test_serve_help_lists_what_it_serves() -> None:
    text = " ".join(run("serve", "--help").stdout.split())
    for part in ("/webhooks/", "/dashboard", "/suppressions", "/insights/", "/outcomes", "/docs"):
        assert part in text


def test_normalize_rules_help_points_at_the_docs() -> None:
    text = " ".join(run("normalize", "--help").stdout.split())
    assert "docs/rules.md" in text
    assert (ROOT / "docs" / "rules.md").is_file()


def test_catalog_build_help_keeps_its_examples_apart() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dlrkit.catalog.build", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    lines = proc.stdout.splitlines()
    assert any(line.startswith("python -m dlrkit.catalog.build --check") for line in lines)
    assert not any("compiled.json python -m" in line for line in lines)


@pytest.mark.parametrize("key", ["rules", "Rule", "settings"])
def test_rules_file_refuses_unknown_top_level_keys(tmp_path: Path, key: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(f'[[{key}]]\ncode = 27\nreason = "recipient_unreachable"\n')
    with pytest.raises(InputError) as caught:
        Rules.load(path)
    assert str(caught.value).startswith("mine.toml: ")
    assert repr(key) in str(caught.value)
    proc = run("normalize", str(ROOT / "examples/smpp-receipts.txt"), "--rules", str(path), ok=2)
    assert f"unknown top-level key {key!r}" in proc.stderr


def test_rules_doc_example_loads(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "rules.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    rules = Rules.from_dict(tomllib.loads(example), "rules.toml")
    assert [r.label for r in rules.rules] == ["rules.toml#1", "rules.toml#2"]


def test_an_address_in_use_is_refused_before_serving(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for command in (
            ["serve", "--data-dir", str(tmp_path), "--port", port],
            ["sandbox", "--port", port],
        ):
            done = run(*command, ok=2)
            assert "--port" in done.stderr
            assert f"127.0.0.1:{port}" in done.stderr
            assert "Traceback" not in done.stderr
    bad_host = run("serve", "--data-dir", str(tmp_path), "--host", "no-such-host.invalid", ok=2)
    assert "--host" in bad_host.stderr


def test_a_bad_database_url_names_where_it_came_from(tmp_path: Path) -> None:
    done = run("keys", "list", "--db", "garbage", ok=2)
    assert "--db" in done.stderr
    assert "not a database URL" in done.stderr
    other = run("keys", "list", "--db", "mysql://x/y", ok=2)
    assert "--db" in other.stderr


def test_the_sandbox_refuses_options_that_would_do_nothing() -> None:
    for url in ("notaurl", "ftp://x", "http://"):
        done = run("sandbox", "--callback-base", url, ok=2)
        assert "--callback-base" in done.stderr
        assert "not an http(s) URL" in done.stderr
    alone = run("sandbox", "--smpp-account", "a:b", "--smpp-forward-url", "http://x", ok=2)
    assert "--smpp-account, --smpp-forward-url" in alone.stderr
    assert "--smpp-port" in alone.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("normalize", "examples/smpp-receipts.txt", "-o", "/nonexistent/dir/out.jsonl"),
        ("normalize", "examples/infobip-reports.jsonl", "-o", "/nonexistent/dir/out.parquet"),
        ("normalize", "examples/smpp-receipts.txt", "-o", "examples"),
        ("codes", "export", "-o", "/nonexistent/dir/codes.csv"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_by_name(args: tuple[str, ...]) -> None:
    """A missing folder or a folder given as the file: one line naming --output, exit 2, no
    traceback (open() used to raise FileNotFoundError after the work was done)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dlrkit", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("dlrkit: --output: cannot write "), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("name", "first"), [("codes.csv", "provider,kind"), ("codes.json", "[")])
def test_codes_export_writes_the_format_its_file_is_named_for(
    tmp_path: Path, name: str, first: str
) -> None:
    out = tmp_path / name
    run("codes", "export", "-o", str(out))
    assert out.read_text(encoding="utf-8").startswith(first)
    assert run("codes", "export", "-f", "json", "-o", str(tmp_path / "x.csv")).returncode == 0
    assert (tmp_path / "x.csv").read_text(encoding="utf-8").startswith("[")


def test_a_database_that_refuses_is_one_line() -> None:
    """The real PostgreSQL refusing an unknown role: the driver's reason on one line, without
    SQLAlchemy's class name or its "Background on this error" link."""
    proc = run("keys", "list", "--db", "postgresql://no_such_role@127.0.0.1:5432/test", ok=2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dlrkit: cannot open the store at postgresql+psycopg://")
    assert 'role "no_such_role" does not exist' in lines[0]
    assert "sqlalche.me" not in proc.stderr
