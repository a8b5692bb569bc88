"""future supply

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 07:26:54.218202
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "supply",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_supply_node_id_nodes")),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name=op.f("fk_supply_sku_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply")),
    )
    with op.batch_alter_table("supply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supply_sku_status"), ["sku", "status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("supply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_sku_status"))

    op.drop_table("supply")
