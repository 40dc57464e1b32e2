"""The staff workbench (tablet-first): the lobby overview, a customer's brief with leads and
one-tap outcomes, needs and hand-offs, my hand-offs and follow-ups. The product centre and
the knowledge base have their own module (``catalog_routes``).
"""

from __future__ import annotations

from fastapi import APIRouter

from smartbranch.web.workbench import customer, handoffs, lobby

router = APIRouter(include_in_schema=False)
router.include_router(lobby.router)
router.include_router(customer.router)
router.include_router(handoffs.router)
