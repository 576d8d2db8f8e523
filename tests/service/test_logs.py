"""Access logs hide the credentials that travel in URLs."""

from __future__ import annotations

import logging

import pytest

from dlrkit.service.logs import RedactSecrets, install, redact


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/webhooks/smspartner/s3cr3t-token", "/webhooks/smspartner/***"),
        ("/webhooks/smspartner?token=s3cr3t", "/webhooks/smspartner?token=***"),
        ("/dashboard?key=dlrk_abc&from=2026-11-01", "/dashboard?key=***&from=2026-11-01"),
        ("/outcomes?state=delivered&limit=5", "/outcomes?state=delivered&limit=5"),
        ("/webhooks/infobip", "/webhooks/infobip"),
        ("/messages/abc?provider=plivo", "/messages/abc?provider=plivo"),
        ("/x?API_KEY=1&Password=2&secret=", "/x?API_KEY=***&Password=***&secret=***"),
    ],
)
def test_secrets_in_paths_are_hidden(path: str, logged: str) -> None:
    assert redact(path) == logged


def test_the_access_logger_writes_redacted_paths(caplog: pytest.LogCaptureFixture) -> None:
    install()
    install()  # once is enough
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, RedactSecrets) for f in access.filters) == 1
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "POST",
            "/webhooks/smspartner/tok-123?token=tok-456",
            "1.1",
            200,
        )
    assert "tok-123" not in caplog.text
    assert "tok-456" not in caplog.text
    assert "/webhooks/smspartner/***?token=***" in caplog.text
