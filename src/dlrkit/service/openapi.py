"""The OpenAPI description of what FastAPI cannot infer, and the local Swagger UI.

The webhook routes read the raw request (msgspec, no pydantic), so their request bodies and every
answer they can give are described here by hand, per provider and content type, with an example
each so that schemathesis exercises the happy path too. Store records (Outcome, Message, Page)
are msgspec structs: their JSON Schemas come from msgspec and join the components.

Swagger UI (5.x: it reads the OpenAPI 3.1 FastAPI writes) is vendored in
`dlrkit/service/static/swagger/` (version, source, checksums and licences in its README.md) and
served by the app itself under /docs/static: no CDN, no network at run time. The /docs page
loads it without any inline script, under a Content-Security-Policy allowing only this origin.
"""

from __future__ import annotations

from typing import Any

import msgspec

from dlrkit.store.base import Message, Page

ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    "infobip": ("application/json",),
    "plivo": ("application/x-www-form-urlencoded", "application/json"),
    "smspartner": ("application/x-www-form-urlencoded", "application/json"),
    "smpp": ("text/plain", "application/json"),
}

# Providers that may be told to call back with GET (Plivo's `method`, SMSPartner's callbacks):
# their webhooks also answer GET, the report then being the query string, read as a form body.
QUERY_PROVIDERS = frozenset({"plivo", "smspartner"})
QUERY_TYPE = "application/x-www-form-urlencoded"

_STR = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}
_INFOBIP_REPORT = {
    "type": "object",
    "required": ["messageId", "status"],
    "properties": {
        "messageId": _NONEMPTY,
        "to": _STR,
        "sentAt": _STR,
        "doneAt": _STR,
        "status": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "groupId": {"type": "integer"}, "name": _STR},
        },
        "error": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": _STR,
                "permanent": {"type": "boolean"},
            },
        },
    },
}
_PLIVO = {
    "description": "A message status callback (MessageUUID, Status) or a call hangup callback "
    "(CallUUID with HangupCause or HangupCauseCode), as Plivo posts them; more fields are kept.",
    "anyOf": [
        {
            "type": "object",
            "required": ["MessageUUID", "Status"],
            "properties": dict.fromkeys(
                ("MessageUUID", "Status", "ErrorCode", "To", "From", "Type"), _STR
            ),
        },
        {
            "type": "object",
            "required": ["CallUUID", "HangupCauseCode"],
            "properties": dict.fromkeys(
                ("CallUUID", "CallStatus", "HangupCause", "HangupCauseCode", "To", "From"), _STR
            ),
        },
    ],
}
_SMSPARTNER = {
    "type": "object",
    "required": ["msgId", "status"],
    "properties": dict.fromkeys(("msgId", "phoneNumber", "status", "date", "customID"), _STR),
}

BODIES: dict[str, dict[str, Any]] = {
    "infobip": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["results"],
                "properties": {"results": {"type": "array", "items": _INFOBIP_REPORT}},
            },
            "example": {
                "results": [
                    {
                        "messageId": "ib-0001",
                        "to": "33612345678",
                        "doneAt": "2024-06-01T09:15:07.981+0000",
                        "status": {
                            "groupId": 3,
                            "groupName": "DELIVERED",
                            "id": 5,
                            "name": "DELIVERED_TO_HANDSET",
                        },
                        "error": {
                            "groupId": 0,
                            "groupName": "OK",
                            "id": 0,
                            "name": "NO_ERROR",
                            "permanent": False,
                        },
                    }
                ]
            },
        }
    },
    "plivo": {
        "application/x-www-form-urlencoded": {
            "schema": _PLIVO,
            "example": {
                "MessageUUID": "9b1c0d2e-3f4a-11f0-8a5b-0242ac110002",
                "Status": "delivered",
                "ErrorCode": "",
                "To": "14155550123",
                "From": "14155550100",
                "Type": "sms",
            },
        },
        "application/json": {
            "schema": _PLIVO,
            "example": {
                "MessageUUID": "e5f6a7b8-4200-11f0-8c3d-0242ac110005",
                "Status": "failed",
                "ErrorCode": "30",
                "To": "14155550123",
                "From": "14155550100",
                "Type": "sms",
            },
        },
    },
    "smspartner": {
        "application/x-www-form-urlencoded": {
            "schema": _SMSPARTNER,
            "example": {
                "msgId": "48216",
                "phoneNumber": "+33677777777",
                "status": "delivered",
                "date": "2025-03-29 14:30:15",
            },
        },
        "application/json": {
            "schema": _SMSPARTNER,
            "example": {
                "msgId": "48217",
                "phoneNumber": "+33677777778",
                "status": "not delivered",
                "date": "2025-03-29 14:31:00",
            },
        },
    },
    "smpp": {
        "text/plain": {
            "schema": {
                "type": "string",
                "description": "One delivery receipt per line (SMPP 3.4 Appendix B text).",
            },
            "example": "id:0123456789 sub:001 dlvrd:001 submit date:2403151022 done date:2403151023 stat:DELIVRD err:000 text:Hello",
        },
        "application/json": {
            "schema": {"type": "object", "properties": {"short_message": _STR}},
            "example": {
                "short_message": "id:2233445566 sub:001 dlvrd:001 submit date:2403151022 done date:2403151023 stat:DELIVRD err:000 text:Bonjour"
            },
        },
    },
}

HEADERS: dict[str, list[str]] = {
    "plivo": ["X-Plivo-Signature-V3", "X-Plivo-Signature-V3-Nonce"],
    "infobip": ["Authorization"],
    "smpp": ["X-DLR-Token"],
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def webhook_operation(provider: str, *, path_token: bool = False) -> dict[str, Any]:
    """The OpenAPI operation of POST /webhooks/{provider}: body, headers, every answer."""
    params = [
        {
            "name": h,
            "in": "header",
            "required": False,
            "schema": _STR,
            "description": "see docs/service.md",
        }
        for h in HEADERS.get(provider, [])
    ]
    if path_token:
        params.append(
            {
                "name": "token",
                "in": "path",
                "required": True,
                "schema": _NONEMPTY,
                "description": "the secret token of the callback URL",
            }
        )
    elif provider == "infobip":
        params.append(
            {
                "name": "channel",
                "in": "query",
                "required": False,
                "schema": _STR,
                "description": "the traffic this subscription reports on (whatsapp, viber, rcs, "
                "mms, sms, voice, email...), for reports that do not name it",
            }
        )
    elif provider == "smspartner":
        params.append(
            {
                "name": "token",
                "in": "query",
                "required": False,
                "schema": _STR,
                "description": "the secret token of the callback URL",
            }
        )
    where = " (token in the path)" if path_token else ""
    return {
        "tags": ["webhooks"],
        "summary": f"Receive {provider} delivery reports{where}",
        "description": f"Delivery reports from {provider}, in its native format. Answers 200 only once they are durable.",
        "operationId": f"webhook_{provider}_token" if path_token else f"webhook_{provider}",
        "parameters": params,
        "requestBody": {"required": True, "content": BODIES[provider]},
        "responses": {
            "200": {
                "description": "Durably stored (or already stored: duplicates change nothing).",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/WebhookAck"}}
                },
            },
            "401": _error("No credentials presented."),
            "403": _error(
                "Credentials do not verify, or no account is configured for this provider."
            ),
            "413": _error("Body larger than the configured limit."),
            "415": _error(
                "Content type not accepted; the error names the accepted ones: "
                + ", ".join(ACCEPTED_TYPES[provider])
            ),
            "422": _error("Malformed payload; `field` names the offending field."),
            "503": _error("Storage unavailable: not stored, retry later."),
        },
    }


def webhook_get_operation(provider: str, *, path_token: bool = False) -> dict[str, Any]:
    """GET /webhooks/{provider}: the same reports as the POST, sent as the query string."""
    post = webhook_operation(provider, path_token=path_token)
    example = BODIES[provider][QUERY_TYPE]["example"]
    report = {
        "name": "report",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "object", "additionalProperties": _STR},
        "example": example,
        "description": "the report's fields, as the provider sends them (those of the POST form body)",
    }
    responses = {k: v for k, v in post["responses"].items() if k != "415"}
    where = " (token in the path)" if path_token else ""
    return {
        **{k: v for k, v in post.items() if k not in ("requestBody", "responses")},
        "summary": f"Receive {provider} delivery reports sent with GET{where}",
        "description": f"Delivery reports from {provider} as query parameters (a callback told to "
        "use GET). Answers 200 only once they are durable.",
        "operationId": post["operationId"] + "_get",
        "parameters": [*post["parameters"], report],
        "responses": responses,
    }


NOOP_PATH = "/healthz/noop"
NOOP_OPERATION: dict[str, Any] = {
    "tags": ["operations"],
    "summary": "Do nothing (the HTTP stack's ceiling)",
    "description": "Reads the body (any content type, within the size limit) and answers, "
    "without verifying, parsing or storing anything: what the webhook routes cost is measured "
    "against it (bench/ingest.py).",
    "operationId": "noop",
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            "text/plain": {"schema": _STR},
        },
    },
    "responses": {
        "200": {
            "description": "Nothing done.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["status"],
                        "properties": {"status": {"const": "ok"}},
                    }
                }
            },
        },
        "413": _error("Body larger than the configured limit."),
    },
}


def webhook_paths() -> dict[str, Any]:
    """The `paths` entries of the routes FastAPI does not see: the webhooks and the no-op."""
    paths: dict[str, Any] = {
        f"/webhooks/{p}": {"post": webhook_operation(p)} for p in ACCEPTED_TYPES
    }
    paths["/webhooks/smspartner/{token}"] = {
        "post": webhook_operation("smspartner", path_token=True)
    }
    for p in sorted(QUERY_PROVIDERS):
        paths[f"/webhooks/{p}"]["get"] = webhook_get_operation(p)
    paths["/webhooks/smspartner/{token}"]["get"] = webhook_get_operation(
        "smspartner", path_token=True
    )
    paths[NOOP_PATH] = {"post": NOOP_OPERATION}
    return paths


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": _STR,
        "field": {"anyOf": [_STR, {"type": "null"}]},
        "suggestions": {"type": "array", "items": {"type": "object"}},
    },
}
ACK_SCHEMA = {
    "type": "object",
    "required": ["accepted", "duplicates"],
    "properties": {
        "accepted": {"type": "integer", "minimum": 0},
        "duplicates": {"type": "integer", "minimum": 0},
    },
}


def _any_value(t: type) -> dict[str, Any]:
    if t is object:  # raw payload values: any JSON value
        return {"description": "any JSON value"}
    raise NotImplementedError(t)


def struct_schemas(*types: type) -> dict[str, Any]:
    """JSON Schemas of msgspec structs (and of those they refer to), for `components/schemas`."""
    _, schemas = msgspec.json.schema_components(
        types, schema_hook=_any_value, ref_template="#/components/schemas/{name}"
    )
    return schemas


def components() -> dict[str, Any]:
    """Schemas referenced by hand-written responses: Error, WebhookAck, and the store records."""
    return {**struct_schemas(Message, Page), "Error": ERROR_SCHEMA, "WebhookAck": ACK_SCHEMA}


def json_response(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


SWAGGER_UI_VERSION = "5.35.0"  # of the files in static/swagger/ (see its README.md)
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def swagger_dir() -> str:
    """Where the vendored Swagger UI files are (served under /docs/static)."""
    from importlib.resources import files

    return str(files("dlrkit.service").joinpath("static", "swagger"))


def docs_html(static: str = "/docs/static") -> str:
    """The /docs page: Swagger UI on /openapi.json, from `static` only (no inline script)."""
    v = f"?v={SWAGGER_UI_VERSION}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>dlrkit API</title>
<link rel="stylesheet" href="{static}/swagger-ui.css{v}">
<link rel="icon" type="image/png" href="{static}/favicon-32x32.png{v}">
<script src="{static}/swagger-ui-bundle.js{v}" defer></script>
<script src="{static}/docs.js{v}" defer></script>
</head>
<body>
<div id="swagger-ui"></div>
<noscript>Swagger UI needs JavaScript; the API description itself is /openapi.json.</noscript>
</body>
</html>
"""
