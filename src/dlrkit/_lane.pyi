from typing import Any

def encode_lines(
    lines: list[bytes], lane: Any, seen: list[Any], /
) -> tuple[list[bytes | None], int]:
    """Per line, its outcome bytes or None, as `lane._line` gives them, and how many were None;
    the kind of each outcome is appended to `seen`."""
