"""Alembic migrations (packaged, so an installed wheel can migrate its database)."""
