"""SMSPartner's Voice Partner status webhook: the outcome of one text-to-speech call.

Voice Partner (docpartner.dev, "Voice Partner > Webhooks", "Récupération des statuts des SMS
vocaux") posts JSON to the `notifyUrl` of the request: campaignId, status (pending, delivered:
the call went out, undelivered: it did not), additionnal_status (so spelled: VOICE_ANSWERED or
VOICE_NOT_ANSWERED), phoneNumber, sendAt and doneAt ("YYYY-MM-DD HH:MM:SS", French time),
duration in seconds, and audioFileComplementaire {status} when an audio file was added.

A "delivered" call may still be unanswered, so the answer status decides when there is one: it
is read as the telephony cause it amounts to (Q.850 16 normal clearing, 19 no answer). The
status words are read as the status list's words they stand for (delivered, not delivered,
waiting).
"""

from __future__ import annotations

from collections.abc import Mapping

from dlrkit.adapters import _lenient as f
from dlrkit.adapters._cause_names import cause_name_code
from dlrkit.outcome import NativeCode

PROVIDER = "smspartner"
_ANSWER_CAUSES = {"VOICE_ANSWERED": "NORMAL_CLEARING", "VOICE_NOT_ANSWERED": "NO_ANSWER"}
_STATUS_WORDS = {"delivered": "Delivered", "undelivered": "Not delivered", "pending": "Waiting"}


def is_voice_status(doc: Mapping[str, object]) -> bool:
    return "campaignId" in doc and "status" in doc and "phoneNumber" in doc


def voice_codes(doc: Mapping[str, object], path: str) -> tuple[NativeCode, ...]:
    """The answer status first (it decides), then the call's status word."""
    codes: list[NativeCode] = []
    answer = f.text(doc, "additionnal_status", PROVIDER, path)
    if answer is not None:
        cause = _ANSWER_CAUSES.get(answer.upper())
        if cause is None:
            codes.append(NativeCode(kind="status", channel="voice_message", code=answer))
        else:
            code = cause_name_code(cause)
            codes.append(
                NativeCode(
                    kind=code.kind,
                    channel=code.channel,
                    code=code.code,
                    name=answer,
                    namespace=code.namespace,
                )
            )
    status = f.required(doc, "status", PROVIDER, path)
    word = _STATUS_WORDS.get(status.lower(), status)
    codes.append(NativeCode(kind="status", channel="status_list", code=word, name=status))
    return tuple(codes)
