"""dlrkit: one truthful, actionable answer per message from any provider's reports and codes.

    >>> from dlrkit import explain
    >>> explain("infobip", 5004)[0].entry.replaced_by
    (10400, 10401, 10402)
"""

from __future__ import annotations

from dlrkit.catalog import Catalog, Entry
from dlrkit.errors import CatalogError, DlrkitError, InputError, UnknownCodeError
from dlrkit.explain import Explanation, explain, translate
from dlrkit.outcome import Party, Reason, Retry, State

__all__ = [
    "Catalog",
    "CatalogError",
    "DlrkitError",
    "Entry",
    "Explanation",
    "InputError",
    "Party",
    "Reason",
    "Retry",
    "State",
    "UnknownCodeError",
    "explain",
    "translate",
]
__version__ = "0.1.0"
