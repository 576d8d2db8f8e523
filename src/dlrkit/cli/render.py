"""Terminal output: rich on a terminal, plain aligned text in pipes (and no rich import there).

Commands build `Card`s (a title and labelled rows) and tables (headers and rows); this module
prints them. Keeping rich out of the non-terminal path keeps `dlrkit explain` starting fast.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class Card:
    """A titled block of labelled rows."""

    def __init__(self, title: str, style: str = "cyan"):
        self.title = title
        self.style = style
        self.rows: list[tuple[str, str]] = []

    def add(self, label: str, value: object) -> None:
        if value not in (None, "", [], ()):
            self.rows.append((label, str(value)))


def _use_rich(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") is not None or os.environ.get("DLRKIT_PLAIN"):
        return False
    return stream.isatty()


def _console(stream: TextIO) -> Any:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


def print_cards(cards: list[Card], stream: TextIO = sys.stdout) -> None:
    if _use_rich(stream):
        from rich.markup import escape
        from rich.panel import Panel
        from rich.table import Table

        console = _console(stream)
        for card in cards:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
            for label, value in card.rows:
                grid.add_row(escape(label), escape(value))
            console.print(
                Panel(grid, title=escape(card.title), title_align="left", border_style=card.style)
            )
        return
    width = max((len(label) for card in cards for label, _ in card.rows), default=0)
    for i, card in enumerate(cards):
        if i:
            stream.write("\n")
        stream.write(card.title + "\n")
        for label, value in card.rows:
            lines = value.splitlines() or [""]
            stream.write(f"  {label.ljust(width)}  {lines[0]}\n")
            for more in lines[1:]:
                stream.write(f"  {' ' * width}  {more}\n")


def print_table(
    headers: list[str], rows: list[list[str]], stream: TextIO = sys.stdout, title: str | None = None
) -> None:
    if _use_rich(stream):
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=title, header_style="bold cyan")
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*(escape(c) for c in row))
        _console(stream).print(table)
        return
    if title:
        stream.write(title + "\n")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths[-1] = 0  # the last column is not padded
    stream.write(
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n"
    )
    for row in rows:
        stream.write(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def error(message: str, stream: TextIO = sys.stderr) -> None:
    stream.write(f"dlrkit: {message}\n")
