"""The JSON API (``/api/v1``): the integrated front end every channel talks to."""

from __future__ import annotations

from fastapi import APIRouter

from smartbranch.auth.api import router as auth_router
from smartbranch.catalog.api import router as catalog_router
from smartbranch.customers.api import router as customers_router
from smartbranch.queueing.api import router as queue_router
from smartbranch.queueing.stats_api import router as queue_stats_router
from smartbranch.service.api import router as service_router
from smartbranch.service.brief_api import router as brief_router
from smartbranch.service.collab_api import router as collab_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth_router)
api_router.include_router(customers_router)
api_router.include_router(queue_router)
api_router.include_router(queue_stats_router)
api_router.include_router(catalog_router)
api_router.include_router(service_router)
api_router.include_router(brief_router)
api_router.include_router(collab_router)
