"""``/docs`` serves Swagger UI from our own origin under the strict CSP."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources.append(dict(attrs).get("src"))


class TestApiDocs:
    async def test_docs_use_vendored_assets_and_no_inline_script(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        parser = _Scripts()
        parser.feed(response.text)
        assert parser.sources, "the page loads Swagger UI"
        assert all(src and src.startswith("/static/") for src in parser.sources)
        for src in parser.sources:
            assert src is not None
            asset = await client.get(src)
            assert asset.status_code == 200

    async def test_openapi_is_served(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/identify" in spec["paths"]
