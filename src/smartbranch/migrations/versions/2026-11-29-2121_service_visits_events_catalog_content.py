"""service: visits, needs, hand-offs, arrival routes, staff events; catalog content

Revision ID: 0006_service
Revises: 0005_queue_layouts
Create Date: 2026-11-29 21:21:01.999659
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_service"
down_revision: str | None = "0005_queue_layouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('article', 'faq')", name=op.f("ck_knowledge_articles_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_knowledge_articles_slug")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_articles_topic"), ["topic"], unique=False)

    op.create_table(
        "arrival_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("min_tier", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "audience IN ('role', 'account_manager', 'counter_staff')",
            name=op.f("ck_arrival_routes_audience"),
        ),
        sa.CheckConstraint(
            "min_tier IN ('standard', 'gold', 'platinum', 'diamond', 'private')",
            name=op.f("ck_arrival_routes_min_tier"),
        ),
        sa.CheckConstraint(
            "trigger IN ('arrived', 'called')", name=op.f("ck_arrival_routes_trigger")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_arrival_routes_outlet_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrival_routes")),
    )
    with op.batch_alter_table("arrival_routes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrival_routes_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_via", sa.String(length=16), nullable=False),
        sa.Column("credential_kind", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leads_suggested", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_visits_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_visits_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_visits_outlet_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("customer_id", "outlet_id", "business_day", name="uq_visits_day"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_visits_outlet_day_status", ["outlet_id", "business_day", "status"], unique=False
        )

    op.create_table(
        "staff_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_staff_events_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_staff_events_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_staff_events_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_events")),
    )
    op.create_table(
        "visit_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("product_code", sa.String(length=32), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_visit_needs_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["product_code"], ["products.code"], name=op.f("fk_visit_needs_product_code_products")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_visit_needs_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_needs_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_needs")),
    )
    with op.batch_alter_table("visit_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_needs_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visit_needs_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "staff_event_recipients",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["staff_events.id"],
            name=op.f("fk_staff_event_recipients_event_id_staff_events"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_event_recipients_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "event_id", name=op.f("pk_staff_event_recipients")),
    )
    op.create_table(
        "visit_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("from_staff_id", sa.Integer(), nullable=False),
        sa.Column("to_role", sa.String(length=32), nullable=False),
        sa.Column("to_staff_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'done', 'cancelled')",
            name=op.f("ck_visit_handoffs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_staff_id"],
            ["staff.id"],
            name=op.f("fk_visit_handoffs_accepted_by_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_visit_handoffs_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["from_staff_id"], ["staff.id"], name=op.f("fk_visit_handoffs_from_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["visit_needs.id"], name=op.f("fk_visit_handoffs_need_id_visit_needs")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_visit_handoffs_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["to_staff_id"], ["staff.id"], name=op.f("fk_visit_handoffs_to_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_handoffs_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_handoffs")),
    )
    with op.batch_alter_table("visit_handoffs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visit_handoffs_outlet_role_status", ["outlet_id", "to_role", "status"], unique=False
        )
        batch_op.create_index(
            "ix_visit_handoffs_to_staff_status", ["to_staff_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_visit_handoffs_visit_id"), ["visit_id"], unique=False)

    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outcomes_visit_id"), ["visit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outcomes_visit_id_visits"), "visits", ["visit_id"], ["id"]
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summary_zh", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("summary_en", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column(
                "selling_points_zh", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(
            sa.Column(
                "selling_points_en", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(
            sa.Column(
                "sold_on_the_spot", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )

    # The bank's default arrival routes (DESIGN §1.2): the lobby managers on duty and the
    # customer's own account manager for every arrival, wealth managers from platinum up,
    # and whoever works the counter that calls the ticket.
    routes = sa.table(
        "arrival_routes",
        sa.column("trigger", sa.String),
        sa.column("audience", sa.String),
        sa.column("role", sa.String),
        sa.column("min_tier", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        routes,
        [
            {
                "trigger": "arrived",
                "audience": "role",
                "role": "lobby_manager",
                "min_tier": "standard",
                "active": True,
            },
            {
                "trigger": "arrived",
                "audience": "account_manager",
                "role": None,
                "min_tier": "standard",
                "active": True,
            },
            {
                "trigger": "arrived",
                "audience": "role",
                "role": "wealth_manager",
                "min_tier": "platinum",
                "active": True,
            },
            {
                "trigger": "called",
                "audience": "counter_staff",
                "role": None,
                "min_tier": "standard",
                "active": True,
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("sold_on_the_spot")
        batch_op.drop_column("selling_points_en")
        batch_op.drop_column("selling_points_zh")
        batch_op.drop_column("summary_en")
        batch_op.drop_column("summary_zh")

    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outcomes_visit_id_visits"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outcomes_visit_id"))
        batch_op.drop_column("visit_id")

    with op.batch_alter_table("visit_handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_handoffs_visit_id"))
        batch_op.drop_index("ix_visit_handoffs_to_staff_status")
        batch_op.drop_index("ix_visit_handoffs_outlet_role_status")

    op.drop_table("visit_handoffs")
    op.drop_table("staff_event_recipients")
    with op.batch_alter_table("visit_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_needs_visit_id"))
        batch_op.drop_index(batch_op.f("ix_visit_needs_customer_id"))

    op.drop_table("visit_needs")
    op.drop_table("staff_events")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_outlet_day_status")
        batch_op.drop_index(batch_op.f("ix_visits_customer_id"))

    op.drop_table("visits")
    with op.batch_alter_table("arrival_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrival_routes_outlet_id"))

    op.drop_table("arrival_routes")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_articles_topic"))

    op.drop_table("knowledge_articles")
