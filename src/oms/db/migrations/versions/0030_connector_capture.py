"""connector capture: each platform order a connector has seen (its newest snapshot, the OMS order it became),
the platform's order id of an inbox row, a connector's polling (its high-water mark), what platforms are told
(shipments), the polling of carriers that do not push (La Poste), and the hold an order waits under (payment)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("orders", sa.Column("hold", sa.String(length=32), nullable=True))
    op.add_column("connector_inbox", sa.Column("platform_ref", sa.String(length=100), nullable=True))
    op.add_column("shipments", sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("shipments", sa.Column("quiet_polls", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("shipments", sa.Column("final", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("connectors", sa.Column("poll_mark", sa.DateTime(timezone=True), nullable=True))
    op.add_column("connectors", sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("connectors", sa.Column("poll_error", sa.String(length=500), nullable=True))
    op.create_table(
        "connector_orders",
        sa.Column("connector_id", sa.String(length=40), nullable=False),
        sa.Column("platform_ref", sa.String(length=100), nullable=False),
        sa.Column("version", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines", JSON, nullable=True),
        sa.ForeignKeyConstraint(["connector_id"], ["connectors.id"],
                                name=op.f("fk_connector_orders_connector_id_connectors")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_connector_orders_order_id_orders")),
        sa.PrimaryKeyConstraint("connector_id", "platform_ref", name=op.f("pk_connector_orders")),
    )
    op.create_index(op.f("ix_connector_orders_order_id"), "connector_orders", ["order_id"])
    op.create_table(
        "connector_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connector_id", sa.String(length=40), nullable=False),
        sa.Column("platform_ref", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("fulfillment_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connector_id"], ["connectors.id"],
                                name=op.f("fk_connector_reports_connector_id_connectors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_reports")),
        sa.UniqueConstraint("connector_id", "fulfillment_id", "action",
                            name=op.f("uq_connector_reports_connector_id_fulfillment_id_action")),
    )
    op.create_index(op.f("ix_connector_reports_status_next_at"), "connector_reports", ["status", "next_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_connector_reports_status_next_at"), table_name="connector_reports")
    op.drop_table("connector_reports")
    op.drop_index(op.f("ix_connector_orders_order_id"), table_name="connector_orders")
    op.drop_table("connector_orders")
    with op.batch_alter_table("shipments") as batch:
        for name in ("final", "quiet_polls", "next_poll_at"):
            batch.drop_column(name)
    with op.batch_alter_table("connectors") as batch:
        for name in ("poll_error", "polled_at", "poll_mark"):
            batch.drop_column(name)
    with op.batch_alter_table("connector_inbox") as batch:
        batch.drop_column("platform_ref")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("hold")
