"""queueing: a layout token per outlet, changed with its services, counters or policy

Revision ID: 0005_queue_layouts
Revises: 0004_queueing
Create Date: 2026-11-29 20:10:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005_queue_layouts"
down_revision: str | None = "0004_queueing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "queue_layouts",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_layouts_outlet_id_org_units")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_queue_layouts")),
    )
    # Outlets already set up get a token, so their layout is cached from the start.
    outlets = op.get_bind().execute(
        sa.text(
            "SELECT outlet_id FROM queue_services UNION SELECT outlet_id FROM queue_counters "
            "UNION SELECT outlet_id FROM queue_policies"
        )
    )
    now = datetime.now(UTC)
    rows = [{"outlet_id": r[0], "token": uuid.uuid4().hex, "updated_at": now} for r in outlets]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("queue_layouts")
