"""What the HTML report (`dlrkit.insights.report`) and the dashboard (`dlrkit.service.dashboard`)
render alike: Jinja's settings and the number formats."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def num(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def html_environment(package: str) -> Environment:
    """Jinja for the templates of `package` (its `templates` folder): autoescaped, strict about
    undefined names, block tags trimmed; filters `pct` and `num`."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=pct, num=num)
    return env
