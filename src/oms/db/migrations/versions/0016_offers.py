"""offers: a fulfilment order offered to other stores besides its node, the first to accept takes it

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_offers",
        sa.Column("fulfillment_id", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fulfillment_id"], ["fulfillments.id"],
                                name=op.f("fk_fulfillment_offers_fulfillment_id_fulfillments")),
        sa.PrimaryKeyConstraint("fulfillment_id", "node_id", name=op.f("pk_fulfillment_offers")),
    )
    op.create_index(op.f("ix_fulfillment_offers_node_id"), "fulfillment_offers", ["node_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fulfillment_offers_node_id"), table_name="fulfillment_offers")
    op.drop_table("fulfillment_offers")
