"""queueing: services, counters, work profiles, tickets, events, appointments, policies

Revision ID: 0004_queueing
Revises: 0003_leads_bulk
Create Date: 2026-11-29 18:38:30.941390
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_queueing"
down_revision: str | None = "0003_leads_bulk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_policies",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("tier_weights", sa.JSON(), nullable=False),
        sa.Column("aging_points_per_minute", sa.Float(), nullable=False),
        sa.Column("max_wait_minutes", sa.JSON(), nullable=False),
        sa.Column("target_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("recall_limit", sa.SmallInteger(), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("vip_serves_others", sa.Boolean(), nullable=False),
        sa.Column("vip_min_tier", sa.String(length=16), nullable=False),
        sa.Column("appointment_lead_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("appointment_grace_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("announce_honorific", sa.Boolean(), nullable=False),
        sa.Column("announce_english", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_policies_outlet_id_org_units")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_queue_policies")),
    )
    op.create_table(
        "queue_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("prefix", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_services_outlet_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_services")),
        sa.UniqueConstraint("outlet_id", "code", name=op.f("uq_queue_services_outlet_id")),
    )
    with op.batch_alter_table("queue_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_services_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "queue_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("is_vip", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('closed', 'open', 'paused')", name=op.f("ck_queue_counters_state")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_queue_counters_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_counters_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_queue_counters_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_counters")),
        sa.UniqueConstraint("outlet_id", "code", name=op.f("uq_queue_counters_outlet_id")),
    )
    with op.batch_alter_table("queue_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_counters_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "queue_handling_stats",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("mean_seconds", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["queue_services.id"],
            name=op.f("fk_queue_handling_stats_service_id_queue_services"),
        ),
        sa.PrimaryKeyConstraint("service_id", "hour", name=op.f("pk_queue_handling_stats")),
    )
    op.create_table(
        "queue_ticket_sequences",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=2), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["org_units.id"],
            name=op.f("fk_queue_ticket_sequences_outlet_id_org_units"),
        ),
        sa.PrimaryKeyConstraint(
            "outlet_id", "prefix", "business_day", name=op.f("pk_queue_ticket_sequences")
        ),
    )
    op.create_table(
        "queue_appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_in_ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'checked_in_late', 'cancelled')",
            name=op.f("ck_queue_appointments_status"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_queue_appointments_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_appointments_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["queue_services.id"],
            name=op.f("fk_queue_appointments_service_id_queue_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_appointments")),
    )
    with op.batch_alter_table("queue_appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_appointments_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_queue_appointments_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "queue_counter_services",
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["queue_counters.id"],
            name=op.f("fk_queue_counter_services_counter_id_queue_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["queue_services.id"],
            name=op.f("fk_queue_counter_services_service_id_queue_services"),
        ),
        sa.PrimaryKeyConstraint("counter_id", "service_id", name=op.f("pk_queue_counter_services")),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("identification_ref", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("called_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recall_count", sa.SmallInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target_counter_id", sa.Integer(), nullable=True),
        sa.Column("target_staff_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("people_ahead_at_issue", sa.Integer(), nullable=False),
        sa.Column("eta_minutes_at_issue", sa.Float(), nullable=False),
        sa.Column("naive_eta_minutes_at_issue", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')",
            name=op.f("ck_queue_tickets_status"),
        ),
        sa.CheckConstraint(
            "tier IN ('standard', 'gold', 'platinum', 'diamond', 'private')",
            name=op.f("ck_queue_tickets_tier"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["queue_appointments.id"],
            name=op.f("fk_queue_tickets_appointment_id_queue_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["called_by_staff_id"],
            ["staff.id"],
            name=op.f("fk_queue_tickets_called_by_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["queue_counters.id"],
            name=op.f("fk_queue_tickets_counter_id_queue_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_queue_tickets_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_queue_tickets_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_tickets_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["queue_services.id"],
            name=op.f("fk_queue_tickets_service_id_queue_services"),
        ),
        sa.ForeignKeyConstraint(
            ["target_counter_id"],
            ["queue_counters.id"],
            name=op.f("fk_queue_tickets_target_counter_id_queue_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["target_staff_id"], ["staff.id"], name=op.f("fk_queue_tickets_target_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint(
            "outlet_id", "idempotency_key", name=op.f("uq_queue_tickets_idempotency_key")
        ),
        sa.UniqueConstraint(
            "outlet_id", "business_day", "number", name=op.f("uq_queue_tickets_day_number")
        ),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_tickets_counter_id"), ["counter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_queue_tickets_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_queue_tickets_outlet_day", ["outlet_id", "business_day"], unique=False
        )
        batch_op.create_index(
            "ix_queue_tickets_outlet_status_day",
            ["outlet_id", "status", "business_day"],
            unique=False,
        )

    op.create_table(
        "queue_ticket_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_staff_id", sa.Integer(), nullable=True),
        sa.Column("actor_device_id", sa.Integer(), nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_device_id"],
            ["devices.id"],
            name=op.f("fk_queue_ticket_events_actor_device_id_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_staff_id"],
            ["staff.id"],
            name=op.f("fk_queue_ticket_events_actor_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["queue_counters.id"],
            name=op.f("fk_queue_ticket_events_counter_id_queue_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["org_units.id"], name=op.f("fk_queue_ticket_events_outlet_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_queue_ticket_events_ticket_id_queue_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_ticket_events")),
    )
    with op.batch_alter_table("queue_ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_ticket_events_outlet_id_id", ["outlet_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_queue_ticket_events_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_ticket_events_ticket_id"))
        batch_op.drop_index("ix_queue_ticket_events_outlet_id_id")

    op.drop_table("queue_ticket_events")
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_tickets_outlet_status_day")
        batch_op.drop_index("ix_queue_tickets_outlet_day")
        batch_op.drop_index(batch_op.f("ix_queue_tickets_customer_id"))
        batch_op.drop_index(batch_op.f("ix_queue_tickets_counter_id"))

    op.drop_table("queue_tickets")
    op.drop_table("queue_counter_services")
    with op.batch_alter_table("queue_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_appointments_outlet_id"))
        batch_op.drop_index(batch_op.f("ix_queue_appointments_customer_id"))

    op.drop_table("queue_appointments")
    op.drop_table("queue_ticket_sequences")
    op.drop_table("queue_handling_stats")
    with op.batch_alter_table("queue_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_counters_outlet_id"))

    op.drop_table("queue_counters")
    with op.batch_alter_table("queue_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_services_outlet_id"))

    op.drop_table("queue_services")
    op.drop_table("queue_policies")
