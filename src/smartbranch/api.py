"""The JSON API (``/api/v1``): the integrated front end every channel talks to."""

from __future__ import annotations

from fastapi import APIRouter

from smartbranch.auth.api import router as auth_router
from smartbranch.customers.api import router as customers_router
from smartbranch.queueing.api import router as queue_router
from smartbranch.queueing.stats_api import router as queue_stats_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth_router)
api_router.include_router(customers_router)
api_router.include_router(queue_router)
api_router.include_router(queue_stats_router)
