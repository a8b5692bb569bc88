"""event ids per node

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:15:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_source_event_id"))
        batch_op.create_index(
            batch_op.f("ix_movements_node_id_source_event_id"), ["node_id", "source_event_id"], unique=True
        )


def downgrade() -> None:
    # Fails if two nodes have since sent the same event id: the older schema cannot hold both.

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_node_id_source_event_id"))
        batch_op.create_index(batch_op.f("ix_movements_source_event_id"), ["source_event_id"], unique=True)
