"""The ceiling for identify: a bare Starlette app that does only the essential work — parse
the JSON body, HMAC the normalised card number, one asyncpg lookup of the keyed hash — with
no device check, no validation beyond digits, no audit row, no reference. Run by
bench_identify.py under uvicorn with the same number of workers as smartbranch."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = bytes.fromhex(open(os.environ["CEILING_KEY_FILE"]).read().strip())  # noqa: SIM115
DSN = os.environ["CEILING_DSN"]
pool: asyncpg.Pool | None = None


async def identify(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    value = "".join(ch for ch in body["credential"]["value"] if ch.isdigit())
    lookup = hmac.new(KEY, f"card:{value}".encode(), hashlib.sha256).hexdigest()
    assert pool is not None
    row = await pool.fetchrow(
        "SELECT customer_id, status FROM credentials WHERE lookup_hash = $1", lookup
    )
    if row is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse({"customer_id": row["customer_id"], "status": row["status"]})


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
    yield
    await pool.close()


app = Starlette(routes=[Route("/identify", identify, methods=["POST"])], lifespan=lifespan)
