"""Security headers on every response."""

from __future__ import annotations

import httpx


class TestSecurityHeaders:
    async def test_api_responses_are_no_store_with_csp(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/identify", json={})
        assert response.headers["cache-control"] == "no-store"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"

    async def test_server_error_keeps_headers_and_hides_details(
        self, test_settings: object
    ) -> None:
        from smartbranch.main import create_app

        app = create_app(test_settings)  # type: ignore[arg-type]

        @app.get("/api/v1/_boom")
        async def boom() -> None:
            raise RuntimeError("secret detail 6228480000000000000")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            response = await client.get("/api/v1/_boom")
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "internal_error"
        assert "secret detail" not in response.text
        assert response.headers["cache-control"] == "no-store"
        assert "content-security-policy" in response.headers
