"""The service's own pages over HTTP: the index at /, /docs and its vendored Swagger UI (served
from the package, under a strict Content-Security-Policy), and JSON 404s naming the path.
tests/dashboard/test_docs.py renders /docs in a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.service.conftest import Service

pytestmark = pytest.mark.anyio


async def test_index_lists_the_entry_points(svc: Service) -> None:
    r = await svc.client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["service"] == "dlrkit"
    assert body["version"] == svc.app.version
    assert body["links"] == {
        "docs": "/docs",
        "openapi": "/openapi.json",
        "dashboard": "/dashboard",
        "health": "/healthz",
        "metrics": "/metrics",
    }
    for link in body["links"].values():  # each answers (the dashboard: its login redirect)
        assert (await svc.client.get(link)).status_code < 400, link
    assert "/" not in (await svc.client.get("/openapi.json")).json()["paths"]
    service_md = (Path(__file__).parents[2] / "docs" / "service.md").read_text()
    documented = service_md.split("`GET /` answers", 1)[1].split("```json\n", 1)[1]
    assert json.loads(documented.split("```", 1)[0]) == body


@pytest.mark.parametrize("path", ["/nope", "/webhooks", "/docs/static/missing.js", "/a/b%20c"])
async def test_unknown_paths_get_a_json_404_naming_them(svc: Service, path: str) -> None:
    r = await svc.client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert r.json()["field"] is None
    shown = path.replace("%20", " ")
    assert error == f"nothing at {shown}: GET / lists the entry points, /docs describes the API"


async def test_a_route_s_own_404_keeps_its_message(svc: Service) -> None:
    key = await svc.api_key()
    r = await svc.client.get("/messages/unknown-id", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404
    assert r.json() == {"error": "no report about message 'unknown-id'", "field": "message_id"}


async def test_docs_page_loads_only_this_origin_s_files(svc: Service) -> None:
    r = await svc.client.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self';" in csp
    assert "unsafe" not in csp
    html = r.text
    assert '<div id="swagger-ui">' in html
    assert "<script>" not in html  # no inline script: the CSP would refuse it
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        if url.startswith("/docs/static/"):
            assert (await svc.client.get(url)).status_code == 200, url


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("swagger-ui-bundle.js", b"SwaggerUIBundle"),
        ("swagger-ui.css", b".swagger-ui"),
        ("docs.js", b'url: "/openapi.json"'),
        ("LICENSE", b"Apache License"),
        ("NOTICE", b"SmartBear"),
        ("swagger-ui-bundle.js.LICENSE.txt", b"MIT"),
    ],
)
async def test_swagger_ui_is_vendored_in_the_package(
    svc: Service, name: str, needle: bytes
) -> None:
    r = await svc.client.get(f"/docs/static/{name}")
    assert r.status_code == 200
    assert needle in r.content


def test_vendored_files_match_their_version_and_checksums() -> None:
    import hashlib
    from importlib.resources import files

    from dlrkit.service import openapi

    folder = files("dlrkit.service").joinpath("static", "swagger")
    readme = folder.joinpath("README.md").read_text()
    assert f"Swagger UI {openapi.SWAGGER_UI_VERSION}," in readme
    assert f"swagger-ui-dist@{openapi.SWAGGER_UI_VERSION}`" in readme
    sums = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", readme, re.MULTILINE))
    assert set(sums) == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for name, digest in sums.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest, name
