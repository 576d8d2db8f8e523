"""Running the sandbox SMSC: `SmscServer` (an async context), `serve_smsc`, and `main`.

    python -m dlrkit.sandbox.smpp_serve --port 2775 --account esme1:secret:50 \\
        --scenario busy.toml --speed 60 \\
        --forward-url http://127.0.0.1:8000/webhooks/smpp --forward-token t0ken

`dlrkit sandbox --smpp-port PORT` runs the same SMSC next to the HTTP imitations, sharing their
clock, scenario and ledger (`build_smsc`, `listen`, `run_with_app`).
`smpp_options.add_arguments` defines the options once for both commands; `options_from_args`
turns them into `build_smsc` keyword arguments. The forwarding token defaults to the
environment variable DLRKIT_SMPP_TOKEN, the one `dlrkit serve` reads for the SMPP webhook.
docs/sandbox.md documents the SMSC.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from dlrkit.errors import InputError
from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.ledger import Ledger
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.smpp_options import DEFAULT_PORT, add_arguments
from dlrkit.sandbox.smpp_receipts import Forwarder, ForwardForm
from dlrkit.sandbox.smpp_session import Session
from dlrkit.sandbox.smpp_smsc import DEFAULT_ACCOUNT, Account, Smsc

log = logging.getLogger("dlrkit.sandbox.smpp")
__all__ = [
    "DEFAULT_PORT",
    "SmscServer",
    "add_arguments",
    "build_smsc",
    "listen",
    "main",
    "run_with_app",
    "serve_smsc",
]


class SmscServer:
    """An `Smsc` listening on host:port (port 0 picks a free one), as an async context."""

    def __init__(
        self,
        smsc: Smsc | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        sock: socket.socket | None = None,
    ) -> None:
        """`sock`: an already listening socket (`listen`) to serve on instead of host:port."""
        self.smsc = smsc or Smsc()
        self.host, self.port = host, port
        self._sock = sock
        self._server: asyncio.Server | None = None
        self._sessions: dict[Session, asyncio.Task[Any]] = {}

    async def start(self) -> SmscServer:
        if self._sock is not None:
            self._server = await asyncio.start_server(self._connected, sock=self._sock)
        else:
            self._server = await asyncio.start_server(self._connected, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("sandbox SMSC listening on %s:%s", self.host, self.port)
        return self

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self.smsc, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._sessions[session] = task
        try:
            await session.run()
        finally:
            self._sessions.pop(session, None)

    async def stop(self) -> None:
        """Unbind the bound ESMEs, drop the others, let queued HTTP receipts go out."""
        if self._server is None:
            return
        self._server.close()
        await self.smsc.close()
        for session in list(self._sessions):
            session.writer.close()
        if self._sessions:  # each session ends once its connection is gone
            await asyncio.wait(list(self._sessions.values()), timeout=2.0)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> SmscServer:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def build_smsc(
    *,
    accounts: Sequence[Account] = (DEFAULT_ACCOUNT,),
    scenario: Scenario | Callable[[], Scenario] | None = None,
    clock: Clock | None = None,
    ledger: Ledger | None = None,
    forward_url: str | None = None,
    forward_token: str | None = None,
    forward_header: str = "X-DLR-Token",
    forward_form: ForwardForm = "json",
    system_id: str = "DLRKIT",
) -> Smsc:
    """An `Smsc`, with a `Forwarder` when `forward_url` is given. Pass the sandbox's `clock`,
    `scenario` and `ledger` to share them."""
    clock = clock or Clock()
    forwarder = None
    if forward_url:
        forwarder = Forwarder(
            forward_url, forward_token, clock=clock, header=forward_header, form=forward_form
        )
    return Smsc(
        accounts,
        scenario=scenario,
        clock=clock,
        ledger=ledger,
        forwarder=forwarder,
        system_id=system_id,
    )


async def serve_smsc(host: str = "127.0.0.1", port: int = DEFAULT_PORT, **options: Any) -> None:
    """Serve until cancelled; `options` are `build_smsc`'s."""
    async with SmscServer(build_smsc(**options), host, port):
        await asyncio.Event().wait()  # until cancelled


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on host:port (0: a free port), for `SmscServer(sock=...)`: a port
    in use is an OSError here, before anything else starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(100)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def run_with_app(app: Any, server: SmscServer) -> None:
    """Run `server` while the ASGI `app` (the HTTP sandbox) runs: it starts after the app's
    start-up and stops (unbinding its ESMEs, sending queued HTTP receipts) before the app's
    shutdown, wherever the app is served from."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state, server:
            yield state

    app.router.lifespan_context = lifespan


def parse_account(value: str) -> Account:
    """ "system_id:password[:max_tps[:max_binds]]" -> Account; InputError names the option."""
    parts = value.split(":")
    if not 2 <= len(parts) <= 4:
        raise InputError("expected system_id:password[:max_tps[:max_binds]]", field="--account")
    numbers: list[int | None] = []
    for name, text in zip(("max_tps", "max_binds"), parts[2:], strict=False):
        if text and not (text.isascii() and text.isdigit() and len(text) < 10):
            raise InputError(f"{name} must be a whole number, got {text!r}", field="--account")
        numbers.append(int(text) if text else None)
    try:
        return Account(parts[0], parts[1], *numbers)
    except ValueError as exc:
        raise InputError(str(exc), field="--account") from None


def options_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """`serve_smsc` keyword arguments (all but host, clock, scenario) from parsed options."""
    accounts = [parse_account(a) for a in args.smpp_accounts or ()] or [DEFAULT_ACCOUNT]
    return {
        "port": args.smpp_port,
        "accounts": accounts,
        "system_id": args.smsc_system_id,
        "forward_url": args.forward_url,
        "forward_token": args.forward_token or env.get("DLRKIT_SMPP_TOKEN"),
        "forward_header": args.forward_header,
        "forward_form": args.forward_form,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the SMSC alone; exit status 2 on bad options."""
    parser = argparse.ArgumentParser(
        prog="python -m dlrkit.sandbox.smpp_serve",
        description="An SMPP 3.4 SMSC imitation that sends delivery receipts.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--scenario", help="scenario file (TOML) with the mix of fates and delays")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="sandbox clock speed (60: a minute a second)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        options = options_from_args(args, os.environ)
        scenario = Scenario.load(args.scenario) if args.scenario else None
        clock = Clock(speed=args.speed)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: --speed: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_smsc(args.host, scenario=scenario, clock=clock, **options))
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.smpp_port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
