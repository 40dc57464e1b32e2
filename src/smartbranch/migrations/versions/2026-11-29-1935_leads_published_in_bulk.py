"""leads published in bulk: no row-by-row foreign keys on run, customer, rule, campaign

Revision ID: 0003_leads_bulk
Revises: 0002_analysis
Create Date: 2026-11-29 19:35:00

A run inserts hundreds of thousands of leads in one statement; PostgreSQL checks a foreign
key with one lookup per row and key, which cost more than the insert itself. The publish
resolves these ids by joins, so the rows it writes always refer to existing rows (ADR 0010).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_leads_bulk"
down_revision: str | None = "0002_analysis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("fk_leads_run_id_analysis_runs", "run_id", "analysis_runs", "id"),
    ("fk_leads_customer_id_customers", "customer_id", "customers", "id"),
    ("fk_leads_rule_id_lead_rules", "rule_id", "lead_rules", "id"),
    ("fk_leads_campaign_id_campaigns", "campaign_id", "campaigns", "id"),
)


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        for name, _column, _table, _key in _DROPPED:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        for name, column, table, key in _DROPPED:
            batch_op.create_foreign_key(name, table, [column], [key])
