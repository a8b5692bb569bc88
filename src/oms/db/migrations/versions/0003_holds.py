"""holds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:00:20.357740
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holds_status_expires_at"), ["status", "expires_at"], unique=False)

    op.create_table(
        "hold_lines",
        sa.Column("hold_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_hold_lines_hold_id_holds")),
        sa.PrimaryKeyConstraint("hold_id", "line_no", name=op.f("pk_hold_lines")),
    )
    with op.batch_alter_table("hold_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_lines_node_id_sku"), ["node_id", "sku"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("hold_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_lines_node_id_sku"))

    op.drop_table("hold_lines")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_status_expires_at"))

    op.drop_table("holds")
