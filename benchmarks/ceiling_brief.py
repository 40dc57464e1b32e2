"""The ceiling for the customer brief: a bare Starlette app that does one asyncpg lookup of
the customer by number and returns a few of its columns as JSON — no device or session
check, no scope, no leads, no visit, no audit row. Run by bench_brief.py under uvicorn with
the same number of workers as smartbranch."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DSN = os.environ["CEILING_DSN"]
pool: asyncpg.Pool | None = None


async def brief(request: Request) -> JSONResponse:
    assert pool is not None
    row = await pool.fetchrow(
        "SELECT id, name, gender, home_city, risk_tolerance FROM customers WHERE number = $1",
        request.path_params["number"],
    )
    if row is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(dict(row))


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
    yield
    await pool.close()


app = Starlette(
    routes=[Route("/api/v1/customers/{number}/brief", brief, methods=["GET"])], lifespan=lifespan
)
