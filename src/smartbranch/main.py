"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from smartbranch import bus
from smartbranch.api import api_router
from smartbranch.credentials import CredentialHasher
from smartbranch.db import create_engine, create_sessionmaker
from smartbranch.errors import AppError
from smartbranch.http import app_error_handler, server_error_handler, validation_error_handler
from smartbranch.logs import configure_logging
from smartbranch.queueing.service import hooks as queue_hooks
from smartbranch.service import visits
from smartbranch.settings import Settings, get_settings
from smartbranch.web.security import SecurityHeadersMiddleware


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app: the JSON API under ``/api/v1`` and the channels' pages."""
    settings = settings or get_settings()
    configure_logging(json=settings.json_logs, level=settings.log_level)
    engine = create_engine(settings)
    # One bus per process: committed events are announced on it (Redis in production).
    event_bus = bus.create_bus(settings.redis_url, settings.redis_channel)
    bus.install(event_bus)
    # The queue tells the service domain of calls and finished services (it may not import
    # it): the teller learns who is coming, the visit's timeline moves. Idempotent.
    queue_hooks.on_called(visits.on_ticket_called)
    queue_hooks.on_finished(visits.on_ticket_finished)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await event_bus.start()
        yield
        await event_bus.close()
        await engine.dispose()

    app = FastAPI(
        title="smartbranch",
        version="0.1.0",
        description="Branch intelligence for retail banks: the integrated front end.",
        lifespan=lifespan,
        docs_url=None,  # served by smartbranch.web.apidocs without CDN or inline script
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.bus = event_bus
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.hasher = CredentialHasher(settings.credential_key_bytes())
    app.state.secret_key = settings.secret_key_bytes()
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(Exception, server_error_handler)
    app.include_router(api_router)
    _mount_web(app)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _mount_web(app: FastAPI) -> None:
    """Mount the pages (kiosk first) when the web package provides them."""
    from smartbranch.web import routes

    routes.install(app)
