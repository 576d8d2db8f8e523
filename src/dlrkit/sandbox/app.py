"""`create_app(settings)`: the ASGI application of `dlrkit sandbox`.

    app = create_app(SandboxSettings(callback_base="http://127.0.0.1:8000", speed=60))

It serves the provider imitations (Infobip, SMSPartner, Plivo: each provider's own paths) and
the sandbox's admin endpoints under `/_sandbox/`: health, the account state (read, patch,
reset), the ledger of messages and callbacks, the clock and the scenario. The delivery worker
starts and stops with the app (its lifespan). Nothing is read at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response

from dlrkit.errors import InputError
from dlrkit.sandbox import infobip, infobip_voice, plivo, smspartner, smspartner_status
from dlrkit.sandbox.runtime import Sandbox, SandboxSettings
from dlrkit.sandbox.scenario import Scenario

log = logging.getLogger("dlrkit.sandbox")
admin = APIRouter(prefix="/_sandbox", tags=["sandbox"])


def _problem(status: int, problem: str, field: str | None = None) -> Response:
    return JSONResponse({"error": problem, "field": field}, status)


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def _json(request: Request) -> Any:
    import json

    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InputError("expected a JSON body", field="body") from None


@admin.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Alive; the scenario, the clock and how far the callbacks got."""
    sandbox = _sandbox(request)
    return {
        "status": "ok",
        "scenario": sandbox.scenario.name,
        "speed": sandbox.clock.speed,
        "now": sandbox.clock.now().isoformat(),
        "callbacks": sandbox.ledger.summary(),
        "pending": sandbox.deliverer.pending,
    }


@admin.get("/state")
async def get_state(request: Request) -> dict[str, Any]:
    """The accounts: credentials, credits, lists, limits."""
    return _sandbox(request).store.state.model_dump()


@admin.patch("/state")
async def patch_state(request: Request) -> dict[str, Any]:
    """Merge changes in, e.g. {"smspartner": {"stop_list": ["+33612345678"]}}."""
    changes = await _json(request)
    if not isinstance(changes, dict):
        raise InputError("expected a JSON object", field="body")
    return _sandbox(request).store.update(changes).model_dump()


@admin.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Default accounts, an empty ledger, fresh flooding and rate windows."""
    sandbox = _sandbox(request)
    sandbox.reset()
    return sandbox.store.state.model_dump()


@admin.get("/messages")
async def messages(request: Request, provider: str | None = None) -> list[dict[str, Any]]:
    """Every accepted or refused message, its fate, its native codes and its callbacks."""
    return [m.to_dict() for m in _sandbox(request).ledger.select(provider)]


@admin.put("/clock")
async def set_clock(request: Request) -> dict[str, Any]:
    """Jump the simulated clock: {"now": "2025-07-14T10:00:00+02:00"}."""
    doc = await _json(request)
    raw = doc.get("now") if isinstance(doc, dict) else None
    try:
        moment = datetime.fromisoformat(str(raw))
        _sandbox(request).clock.set(moment)
    except ValueError as exc:
        raise InputError(f"expected an ISO 8601 time with an offset ({exc})", field="now") from None
    return {"now": _sandbox(request).clock.now().isoformat()}


@admin.put("/scenario")
async def set_scenario(request: Request) -> dict[str, Any]:
    """Replace the scenario with one given as JSON (the TOML file's structure)."""
    doc = await _json(request)
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", field="body")
    sandbox = _sandbox(request)
    sandbox.scenario = Scenario.from_dict(doc, name=str(doc.get("name", "api")))
    return {"scenario": sandbox.scenario.name, "seed": sandbox.scenario.seed}


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """The sandbox app; its worker posts callbacks while the app runs."""
    sandbox = Sandbox(settings or SandboxSettings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(sandbox.deliverer.run(), name="sandbox-deliverer")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="dlrkit sandbox",
        version="0.1.0",
        description="Imitations of Infobip, SMSPartner and Plivo that apply their documented rules "
        "and post realistic delivery reports back.",
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    for router in (
        infobip.router,
        infobip_voice.router,
        smspartner.router,
        smspartner_status.router,
        plivo.router,
        admin,
    ):
        app.include_router(router)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return _problem(400, exc.problem, exc.field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        return _problem(400, str(first.get("msg")), ".".join(str(p) for p in first.get("loc", ())))

    return app
