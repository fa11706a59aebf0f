"""The console is served by the gateway itself, from the package, and /docs works offline."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from gateway.console.site import PAGES, STATIC_DIR


@pytest.mark.parametrize("page", PAGES)
def test_site_serves_each_page_with_a_script_only_from_itself(gateway_client: TestClient,
                                                              page: str) -> None:
    response = gateway_client.get(f"/console/{page}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert f'src="/console/static/js/{page}.js"' in response.text


@pytest.mark.parametrize("path", ["/", "/console"])
def test_site_redirects_to_the_login_page(gateway_client: TestClient, path: str) -> None:
    response = gateway_client.get(path, follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/console/"
    assert "令牌" in gateway_client.get("/console/").text


def test_site_unknown_page_is_a_404_with_a_message(gateway_client: TestClient) -> None:
    response = gateway_client.get("/console/admin")
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


@pytest.mark.parametrize("asset", sorted(p.relative_to(STATIC_DIR).as_posix()
                                         for p in STATIC_DIR.rglob("*") if p.is_file()))
def test_site_serves_every_static_asset(gateway_client: TestClient, asset: str) -> None:
    assert gateway_client.get(f"/console/static/{asset}").status_code == 200


def test_site_pages_load_nothing_from_another_host() -> None:
    for path in STATIC_DIR.rglob("*"):
        if path.suffix in (".html", ".js", ".css") and "vendor" not in path.parts:
            assert not re.search(r"(src|href)=\"(https?:)?//", path.read_text("utf-8")), path


def test_docs_load_swagger_ui_from_the_gateway(gateway_client: TestClient) -> None:
    page = gateway_client.get("/docs").text
    assets = re.findall(r"(?:src|href)=['\"]([^'\"]+\.(?:js|css))['\"]", page)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert gateway_client.get(asset).status_code == 200, asset


def test_openapi_declares_bearer_auth_on_the_api(gateway_client: TestClient) -> None:
    document = gateway_client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"HTTPBearer": []} in document["paths"]["/api/interceptions"]["get"]["security"]
    assert "security" not in document["paths"]["/healthz"]["get"]
