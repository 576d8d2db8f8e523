"""Output files named on the command line: checked before any work, their format from their name."""

from __future__ import annotations

import os

from dlrkit.errors import InputError


def check_output(path: str | None, option: str = "--output") -> None:
    """An InputError naming `option` when `path` cannot be created: its folder is missing, or
    it is a folder itself (what `open` would raise as a traceback, after the work was done)."""
    if not path:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"cannot write {path}: no directory {folder!r}", field=option)
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a directory", field=option)


def format_for(path: str | None, given: str | None, choices: tuple[str, ...], default: str) -> str:
    """The format asked for, else the one the output file's suffix names (`x.csv`), else
    `default`: `-o codes.csv` writes CSV, as a user reading the name expects."""
    if given:
        return given
    suffix = os.path.splitext(path or "")[1].lower().lstrip(".")
    return suffix if suffix in choices else default
