"""The channels' pages: device activation, staff sign-in, the workbench and the kiosk."""

from __future__ import annotations

from fastapi import FastAPI

from smartbranch.web.apidocs import router as apidocs_router
from smartbranch.web.auth.routes import router as auth_router
from smartbranch.web.board.routes import router as board_router
from smartbranch.web.counter.routes import router as counter_router
from smartbranch.web.device.routes import router as device_router
from smartbranch.web.errors import install_error_handlers
from smartbranch.web.kiosk.routes import router as kiosk_router
from smartbranch.web.staticfiles import VersionedStaticFiles
from smartbranch.web.templating import STATIC_DIR
from smartbranch.web.workbench.catalog_routes import router as catalog_router
from smartbranch.web.workbench.routes import router as workbench_router


def install(app: FastAPI) -> None:
    """Add the pages, static files and their error handling to ``app``."""
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(device_router)
    app.include_router(auth_router)
    app.include_router(workbench_router)
    app.include_router(catalog_router)
    app.include_router(kiosk_router)
    app.include_router(board_router)
    app.include_router(counter_router)
    app.include_router(apidocs_router)
    install_error_handlers(app)
