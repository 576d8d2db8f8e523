"""dlrkit: one truthful, actionable answer per message from any provider's reports and codes.

    >>> from dlrkit import explain
    >>> explain("infobip", 5004)[0].entry.replaced_by
    (10400, 10401, 10402)

Public names are imported on first use (PEP 562), so `import dlrkit` and the CLI stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from dlrkit.catalog import Catalog, Entry
    from dlrkit.errors import CatalogError, DlrkitError, InputError, UnknownCodeError
    from dlrkit.explainer import Explanation, explain, translate
    from dlrkit.normalizer import normalize
    from dlrkit.outcome import Channel, NativeCode, Outcome, Report
    from dlrkit.rules import Rules
    from dlrkit.vocab import Party, Reason, Retry, State

__all__ = [
    "Catalog",
    "CatalogError",
    "Channel",
    "DlrkitError",
    "Entry",
    "Explanation",
    "InputError",
    "NativeCode",
    "Outcome",
    "Party",
    "Reason",
    "Report",
    "Retry",
    "Rules",
    "State",
    "UnknownCodeError",
    "explain",
    "normalize",
    "translate",
]
__version__ = "0.1.0"

__getattr__ = lazy_exports(
    __name__,
    {
        "Catalog": "dlrkit.catalog",
        "Entry": "dlrkit.catalog",
        "CatalogError": "dlrkit.errors",
        "DlrkitError": "dlrkit.errors",
        "InputError": "dlrkit.errors",
        "UnknownCodeError": "dlrkit.errors",
        "Explanation": "dlrkit.explainer",
        "explain": "dlrkit.explainer",
        "translate": "dlrkit.explainer",
        "normalize": "dlrkit.normalizer",
        "Channel": "dlrkit.outcome",
        "NativeCode": "dlrkit.outcome",
        "Outcome": "dlrkit.outcome",
        "Report": "dlrkit.outcome",
        "Rules": "dlrkit.rules",
        "Party": "dlrkit.vocab",
        "Reason": "dlrkit.vocab",
        "Retry": "dlrkit.vocab",
        "State": "dlrkit.vocab",
    },
)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
