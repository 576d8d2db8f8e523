"""Access logs without secrets.

Some credentials travel in URLs because the providers leave no other place for them: the token
an SMSPartner callback URL carries (`/webhooks/smspartner/{token}` or `?token=`), and API keys
some clients put in a query string. uvicorn's access log (`dlrkit serve --access-log`) writes
each request's path and query as received; `RedactSecrets` rewrites them before they are
written, so a log shipped elsewhere does not hand out working credentials.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode

SECRET_PARAMETERS = frozenset({"key", "token", "api_key", "apikey", "password", "secret"})
HIDDEN = "***"
_PATH_TOKEN = re.compile(r"^(/webhooks/[^/?]+/)[^/?]+")


def redact(path: str) -> str:
    """`path` (with its query) with secret values replaced by `***`."""
    base, question, query = path.partition("?")
    base = _PATH_TOKEN.sub(rf"\g<1>{HIDDEN}", base)
    if not question:
        return base
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMETERS for name, _ in pairs):
        return f"{base}?{query}"
    hidden = [(n, HIDDEN if n.lower() in SECRET_PARAMETERS else v) for n, v in pairs]
    return f"{base}?{urlencode(hidden, safe='*')}"


class RedactSecrets(logging.Filter):
    """A filter for the `uvicorn.access` logger (its records' args are client, method, path
    with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
