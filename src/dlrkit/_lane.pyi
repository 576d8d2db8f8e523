from typing import Any

def encode_lines(
    lines: list[bytes], lane: Any, seen: list[Any], owns: list[Any] | None, /
) -> tuple[list[bytes | None], int]:
    """Per line, its outcome bytes or None, as `lane._line` gives them, and how many were None;
    the kind of each outcome is appended to `seen`, and, when `owns` is a list, its own fields
    (`dlrkit.sinks._Own` as a tuple, raw as bytes; None: read them from its line) to `owns`."""
