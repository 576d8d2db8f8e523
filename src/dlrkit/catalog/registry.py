"""The registry of providers and standards: one name used everywhere.

`infobip` is the provider name, `data/infobip/` its data directory and (later)
`dlrkit.adapters.infobip` its adapter. A test proves registry, data and adapters agree.
"""

from __future__ import annotations

from typing import NamedTuple


class Namespace(NamedTuple):
    name: str
    title: str
    is_standard: bool
    channels: tuple[str, ...]


NAMESPACES: dict[str, Namespace] = {
    ns.name: ns
    for ns in (
        Namespace(
            "infobip",
            "Infobip",
            False,
            ("general", "voice", "push", "email", "chat", "mobile_identity", "dlt"),
        ),
        Namespace(
            "smspartner",
            "SMSPartner",
            False,
            (
                "send_sms",
                "cancel_sms",
                "status_retrieval",
                "status_list",
                "number_verification",
                "location",
                "subaccount",
                "voice_message",
                "mail",
                "sms",
                "hlr",
            ),
        ),
        Namespace("plivo", "Plivo", False, ("voice", "sms")),
        Namespace("smpp", "SMPP 3.4", True, ("message_state", "receipt", "command_status")),
        Namespace("sip", "SIP (RFC 3261 and successors)", True, ("response",)),
        Namespace("q850", "ITU-T Q.850 cause values", True, ("cause",)),
        Namespace(
            "map",
            "GSM MAP (3GPP TS 29.002)",
            True,
            (
                "error",
                "sm_delivery_failure",
                "provider_error",
                "open_refuse",
                "user_abort",
                "provider_abort",
                "notice",
            ),
        ),
        Namespace("sccp", "SCCP (ITU-T Q.713)", True, ("return_cause",)),
    )
}

PROVIDERS: tuple[str, ...] = tuple(n for n, ns in NAMESPACES.items() if not ns.is_standard)
STANDARDS: tuple[str, ...] = tuple(n for n, ns in NAMESPACES.items() if ns.is_standard)
