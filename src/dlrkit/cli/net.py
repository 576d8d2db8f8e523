"""Checks on the addresses the servers of the CLI (`serve`, `sandbox`) are told to listen on."""

from __future__ import annotations

import socket

from dlrkit.errors import InputError


def check_listening(host: str, port: int, *, port_option: str = "--port") -> None:
    """Refuse now, clearly, an address a server could not listen on (in use, or no such
    host): uvicorn would say so only after its start-up, with an exit code of its own."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host!r}: {exc.strerror}", field="--host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server on it?)",
                field=port_option,
            ) from None
