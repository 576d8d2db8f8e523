"""The sandbox: imitations of Infobip, SMSPartner and Plivo (and an SMSC) for integration tests.

    from dlrkit.sandbox import SandboxSettings, create_app
    app = create_app(SandboxSettings(callback_base="http://127.0.0.1:8000", speed=60))

Each imitation accepts send requests the way the provider's API does, applies its documented
rules (validation, credits, flooding, validity, schedules, timeouts) with the documented codes,
decides each message's fate (magic numbers, or a scenario's mix drawn from a seed) and posts
delivery reports back in the provider's native format, signed as the provider signs them,
retried while the receiver fails. `fire` sends a stream of such reports at a target (a traffic
source for benchmarks). docs/sandbox.md is the user guide.

Modules: `app` (the ASGI app and admin endpoints), `runtime` (shared context), `clock`,
`scenario`, `fates` (magic numbers), `state` (accounts), `ledger`, `delivery` (the worker),
`signing`, `texts` (SMS parts, number checks), the providers' modules (`infobip*`,
`smspartner*`, `plivo*`: routes, rules, reports),
`traffic` (`fire`); the SMPP SMSC lives in `smpp*`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from dlrkit.sandbox.app import create_app
    from dlrkit.sandbox.runtime import SandboxSettings
    from dlrkit.sandbox.scenario import Scenario
    from dlrkit.sandbox.traffic import fire

__all__ = ["SandboxSettings", "Scenario", "create_app", "fire"]

# Imported lazily: the SMPP modules and the CLI import this package without FastAPI's cost.
__getattr__ = lazy_exports(
    __name__,
    {
        "create_app": "dlrkit.sandbox.app",
        "fire": "dlrkit.sandbox.traffic",
        "SandboxSettings": "dlrkit.sandbox.runtime",
        "Scenario": "dlrkit.sandbox.scenario",
    },
)
