"""`/api/docs` works offline: the page and every asset it loads come from this server."""

import re

from fastapi.testclient import TestClient


def test_api_docs_load_nothing_from_other_hosts(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "/api/v1/openapi.json" in page.text
