"""products switched off

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 07:06:59.109441
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default="1", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("active")
