"""stock feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:36:47.790624
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("inventory", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_inventory_updated_at"), ["updated_at"], unique=False)

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("source_event_id", sa.String(length=200), nullable=True))
        batch_op.drop_index(batch_op.f("ix_movements_node_id_sku"))
        batch_op.create_index(
            batch_op.f("ix_movements_node_id_sku_occurred_at"), ["node_id", "sku", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_movements_source_event_id"), ["source_event_id"], unique=True)


def downgrade() -> None:

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_source_event_id"))
        batch_op.drop_index(batch_op.f("ix_movements_node_id_sku_occurred_at"))
        batch_op.create_index(batch_op.f("ix_movements_node_id_sku"), ["node_id", "sku"], unique=False)
        batch_op.drop_column("source_event_id")
        batch_op.drop_column("recorded_at")

    with op.batch_alter_table("inventory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_updated_at"))
        batch_op.drop_column("counted_at")
