"""replenishment settings: each store's supplying DC, order weekdays and lead time; rules per store, SKU or
class of SKUs

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "replenishment_stores",
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("source_node_id", sa.String(length=64), nullable=False),
        sa.Column("order_weekdays", JSON, nullable=False),
        sa.Column("lead_days", sa.Float(), nullable=False),
        sa.Column("lead_sigma_days", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_replenishment_stores_node_id_nodes")),
        sa.ForeignKeyConstraint(["source_node_id"], ["nodes.id"],
                                name=op.f("fk_replenishment_stores_source_node_id_nodes")),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_replenishment_stores")),
    )
    op.create_table(
        "replenishment_rules",
        sa.Column("id", sa.String(length=140), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=65), nullable=False),
        sa.Column("policy", sa.String(length=20), nullable=True),
        sa.Column("service_level", sa.Float(), nullable=True),
        sa.Column("presentation_min", sa.Integer(), nullable=True),
        sa.Column("shelf_capacity", sa.Integer(), nullable=True),
        sa.Column("case_pack", sa.Integer(), nullable=True),
        sa.Column("rounding_threshold", sa.Float(), nullable=True),
        sa.Column("min_order", sa.Integer(), nullable=True),
        sa.Column("days_of_supply", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_rules")),
    )
    op.create_index(op.f("ix_replenishment_rules_node_id"), "replenishment_rules", ["node_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_replenishment_rules_node_id"), table_name="replenishment_rules")
    op.drop_table("replenishment_rules")
    op.drop_table("replenishment_stores")
