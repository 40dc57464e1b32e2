"""Builders for the catalog tests: the synthetic bank's product shelf as the warehouse load
would write it (load-owned columns only), and the product centre's content on top."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog.content import install_content
from smartbranch.catalog.models import Product
from smartbranch.simulation.products import PRODUCT_SHELF


async def load_shelf(session: AsyncSession) -> list[Product]:
    """The shelf's products with the columns the warehouse load owns, and no content."""
    products = [
        Product(
            code=p.code,
            name=p.name,
            name_en=p.name_en,
            category=p.category,
            risk_level=p.risk_level,
            term_days=p.term_days,
        )
        for p in PRODUCT_SHELF
    ]
    session.add_all(products)
    await session.flush()
    return products


async def shelf_with_content(session: AsyncSession) -> None:
    """The loaded shelf with the product centre's content and the knowledge base."""
    await load_shelf(session)
    await install_content(session)
