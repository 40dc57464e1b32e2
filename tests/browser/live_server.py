"""Serve the real app for the browser tests, in a process of its own.

``python live_server.py PORT_FILE`` builds the app from ``SMARTBRANCH_*`` settings (as a
production process does), listens on a free port of 127.0.0.1 and writes that port to
``PORT_FILE`` once uvicorn has started. SIGTERM stops it gracefully.

A process of its own keeps the async engine on the one event loop that uses it, away from
the test run's loop and from Playwright's. On PostgreSQL the test database lives in a schema
of its own (see ``tests.conftest.isolated_engine``): ``LIVE_SERVER_SCHEMA`` names it, and the
app's engine is rebuilt with that ``search_path``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import uvicorn

from smartbranch.db import create_engine, create_sessionmaker
from smartbranch.main import create_app
from smartbranch.settings import Settings

SCHEMA_ENV = "LIVE_SERVER_SCHEMA"
HOST = "127.0.0.1"


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that writes its port to a file once it has started."""

    def __init__(self, config: uvicorn.Config, port_file: Path, port: int) -> None:
        super().__init__(config)
        self.port_file = port_file
        self.port = port

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:  # startup failures (lifespan errors) set should_exit
            await asyncio.to_thread(self._announce)

    def _announce(self) -> None:
        staging = self.port_file.with_suffix(".tmp")
        staging.write_text(str(self.port), encoding="ascii")
        staging.replace(self.port_file)  # atomic: the reader never sees half a number


async def serve(port_file: Path) -> None:
    """Run uvicorn until SIGTERM; announce the port once it accepts requests."""
    settings = Settings()
    app = create_app(settings)
    schema = os.environ.get(SCHEMA_ENV)
    engine = None
    if schema:
        engine = create_engine(settings, connect_args={"server_settings": {"search_path": schema}})
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Port 0: the kernel picks a free port, so parallel runs never race for one.
    listener.bind((HOST, 0))
    port = int(listener.getsockname()[1])
    # log_config=None keeps the app's own logging pipeline (structured, redacting).
    config = uvicorn.Config(app, log_config=None, lifespan="on")
    try:
        await AnnouncingServer(config, port_file, port).serve(sockets=[listener])
    finally:
        if engine is not None:
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
