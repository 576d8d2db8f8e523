"""`dlrkit sandbox`: serve the provider imitations, or fire a stream of reports at a receiver.

Only argparse is imported at module level: the CLI builds this command's parser at start-up,
and the handler imports uvicorn and the sandbox when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dlrkit.cli.service_parser import port_number

EXIT_OK = 0
EXIT_USAGE = 2


def add_sandbox_command(sub: Any, handlers: Any) -> None:
    """Add `sandbox` to the CLI's subparsers; `handlers` resolves handler names lazily."""
    p = sub.add_parser(
        "sandbox",
        help="imitate Infobip, SMSPartner, Plivo (and an SMPP SMSC): sends in, reports out",
        description="Serve imitations of the Infobip (SMS, voice), SMSPartner (send, status, "
        "cancel) and Plivo (calls, messages) APIs that apply the providers' documented rules and "
        "post delivery reports back, signed as each provider signs them. Outcomes come from magic "
        "numbers or a scenario file; see docs/sandbox.md. With --smpp-port PORT, also run an "
        "SMPP 3.4 SMSC imitation that answers binds and submit_sm and sends delivery receipts. "
        "With --fire N, post N reports to --callback-base instead (a traffic source for "
        "benchmarks).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=port_number, default=8025, help="port to listen on (default 8025)"
    )
    p.add_argument(
        "--scenario", metavar="FILE", help="a TOML scenario: mix of fates, delays, disorder"
    )
    p.add_argument(
        "--callback-base",
        metavar="URL",
        help="where reports go when a request names no callback URL, e.g. http://127.0.0.1:8000 "
        "(dlrkit serve): each provider posts to URL/webhooks/<provider>",
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    p.add_argument(
        "--state-dir", metavar="DIR", help="keep accounts (credits, lists) in DIR/state.json"
    )
    p.add_argument(
        "--start", metavar="ISO", help="simulated start time, e.g. 2025-07-14T10:00:00+02:00"
    )
    p.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default="info",
        help="default info",
    )
    fire = p.add_argument_group("traffic source (--fire)")
    fire.add_argument(
        "--fire", type=int, metavar="N", help="post N reports to --callback-base and exit"
    )
    fire.add_argument("--rate", type=float, default=100.0, help="reports per second (default 100)")
    fire.add_argument(
        "--provider",
        choices=["infobip", "smspartner", "plivo"],
        default="infobip",
        help="default infobip",
    )
    fire.add_argument("--channel", choices=["sms", "voice"], default="sms", help="default sms")
    fire.add_argument("--concurrency", type=int, default=64, help="posts in flight (default 64)")
    from dlrkit.sandbox.smpp_options import add_arguments as add_smpp_arguments  # argparse only

    add_smpp_arguments(p, sandbox=True)  # --smpp-port PORT: also run the SMSC imitation
    p.set_defaults(func=handlers.cmd_sandbox)


def _settings(args: argparse.Namespace) -> Any:
    from datetime import datetime
    from pathlib import Path

    from dlrkit.errors import InputError
    from dlrkit.sandbox.runtime import SandboxSettings
    from dlrkit.sandbox.scenario import Scenario

    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            raise InputError(f"not an ISO 8601 time: {args.start!r}", field="--start") from None
        if start.tzinfo is None:
            raise InputError("give the time zone offset, e.g. +02:00", field="--start")
    if not 0.001 <= args.speed <= 1_000_000:
        raise InputError(f"must be between 0.001 and 1000000, got {args.speed}", field="--speed")
    if args.callback_base:
        _check_url(args.callback_base, "--callback-base")
    if getattr(args, "smpp_port", None) is None:
        given = [
            option
            for option, dest in (
                ("--smpp-account", "smpp_accounts"),
                ("--smpp-forward-url", "forward_url"),
                ("--smpp-forward-token", "forward_token"),
            )
            if getattr(args, dest, None)
        ]
        if given:
            raise InputError(
                "only the SMSC uses this: add --smpp-port PORT to run it", field=", ".join(given)
            )
    elif getattr(args, "forward_url", None):
        _check_url(args.forward_url, "--smpp-forward-url")
    return SandboxSettings(
        scenario=Scenario.load(args.scenario) if args.scenario else Scenario(),
        callback_base=args.callback_base,
        speed=args.speed,
        state_dir=Path(args.state_dir) if args.state_dir else None,
        start=start,
    )


def _check_url(value: str, option: str) -> None:
    from urllib.parse import urlsplit

    from dlrkit.errors import InputError

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"not an http(s) URL: {value!r} (e.g. http://127.0.0.1:8000)", field=option
        )


def _banner(args: argparse.Namespace, settings: Any, state: Any) -> str:
    url = f"http://{args.host}:{args.port}"
    target = settings.callback_base or "(none: requests must name their callback URL)"
    return (
        f"dlrkit sandbox on {url} (scenario {settings.scenario.name}, speed x{settings.speed:g})\n"
        f"  reports go to {target}\n"
        "  a dlrkit serve that accepts them (docs/sandbox.md):\n"
        f"    DLRKIT_PLIVO_AUTH_TOKEN={state.plivo.auth_token}\n"
        f"    DLRKIT_INFOBIP_HMAC_SECRET={state.infobip.webhook.secret}\n"
        f"    DLRKIT_SMSPARTNER_TOKEN={state.smspartner.dlr_token}\n"
        f"  admin: {url}/_sandbox/health, /_sandbox/messages, /_sandbox/state\n"
    )


def _log_to_stderr(level: str) -> None:
    """The sandbox's own log (failed callback deliveries, ...) on standard error, in the style
    of uvicorn's, at the level of --log-level."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
    logger = logging.getLogger("dlrkit.sandbox")
    logger.addHandler(handler)
    logger.setLevel(level.upper())


def cmd_sandbox(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.fire is not None:
        return _fire(args, settings)
    import uvicorn

    from dlrkit.cli.net import check_listening
    from dlrkit.sandbox.app import create_app

    check_listening(args.host, args.port)
    _log_to_stderr(args.log_level)
    app = create_app(settings)
    smsc_banner = ""
    if getattr(args, "smpp_port", None) is not None:
        smsc_banner = _with_smsc(app, args)
        if not smsc_banner:
            return EXIT_USAGE
    sys.stderr.write(_banner(args, settings, app.state.sandbox.store.state) + smsc_banner)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)
    return EXIT_OK


def _with_smsc(app: Any, args: argparse.Namespace) -> str:
    """Add the SMPP SMSC (--smpp-port) to the sandbox `app`, sharing its clock, scenario and
    ledger; the banner's lines about it, or "" (after saying why) when its port is unusable."""
    import os

    from dlrkit.errors import InputError
    from dlrkit.sandbox import smpp_serve

    try:
        options = smpp_serve.options_from_args(args, os.environ)
    except InputError as exc:
        raise InputError(exc.problem, field="--smpp-account") from None
    try:
        sock = smpp_serve.listen(args.host, options.pop("port"))
    except OSError as exc:
        sys.stderr.write(
            f"dlrkit: cannot listen on {args.host}:{args.smpp_port} (--smpp-port): "
            f"{exc.strerror or exc}\n"
        )
        return ""
    sandbox = app.state.sandbox
    smsc = smpp_serve.build_smsc(
        clock=sandbox.clock,
        scenario=lambda: sandbox.scenario,  # follows PUT /_sandbox/scenario
        ledger=sandbox.ledger,  # its messages show in /_sandbox/messages too
        **options,
    )
    port = sock.getsockname()[1]
    smpp_serve.run_with_app(app, smpp_serve.SmscServer(smsc, args.host, port, sock=sock))
    accounts = ", ".join(f"{a.system_id}:{a.password}" for a in options["accounts"])
    forward = (
        f"; also posted to {options['forward_url']}"
        if options["forward_url"]
        else " (--smpp-forward-url also posts them over HTTP)"
    )
    return (
        f"  SMPP 3.4 SMSC on {args.host}:{port} (bind as {accounts}; system_id "
        f"{options['system_id']})\n"
        f"    receipts: deliver_sm to receiver/transceiver binds{forward}\n"
    )


def _fire(args: argparse.Namespace, settings: Any) -> int:
    import asyncio
    import json

    from dlrkit.sandbox.state import StateStore
    from dlrkit.sandbox.traffic import fire

    if not settings.callback_base:
        sys.stderr.write("dlrkit: --fire needs --callback-base URL (the receiver)\n")
        return EXIT_USAGE
    if args.fire < 0 or args.rate <= 0 or args.concurrency < 1:
        sys.stderr.write("dlrkit: --fire must be >= 0, --rate > 0 and --concurrency >= 1\n")
        return EXIT_USAGE
    stats = asyncio.run(
        fire(
            settings.callback_base,
            provider=args.provider,
            channel=args.channel,
            count=args.fire,
            rate=args.rate,
            scenario=settings.scenario,
            state=StateStore(settings.state_dir).state,
            concurrency=args.concurrency,
        )
    )
    sys.stdout.write(json.dumps(stats.to_dict(), indent=2) + "\n")
    return EXIT_OK if stats.errors == 0 and stats.refused == 0 else 1
