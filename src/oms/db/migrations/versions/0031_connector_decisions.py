"""connector decisions: a report may tell a platform the shop's decision on an order's lines (Mirakl's
acceptance), made before there is an OMS order (every line refused) and named by the platform's order id;
the shop's time zone, for platforms that write local times (PrestaShop); the reason code Mirakl is told
cancelled lines with

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connectors", sa.Column("timezone", sa.String(length=64), nullable=False,
                                          server_default="Europe/Paris"))
    op.add_column("connectors", sa.Column("cancel_reason", sa.String(length=64), nullable=True))
    with op.batch_alter_table("connector_reports") as batch:
        batch.alter_column("order_id", existing_type=sa.String(length=40), nullable=True)
        batch.alter_column("fulfillment_id", existing_type=sa.String(length=40), type_=sa.String(length=100),
                           existing_nullable=False)


def downgrade() -> None:
    # (decisions on orders none of whose lines were taken have no order: they go with the column's freedom)
    op.execute("DELETE FROM connector_reports WHERE order_id IS NULL")
    op.drop_column("connectors", "cancel_reason")
    op.drop_column("connectors", "timezone")
    with op.batch_alter_table("connector_reports") as batch:
        batch.alter_column("fulfillment_id", existing_type=sa.String(length=100), type_=sa.String(length=40),
                           existing_nullable=False)
        batch.alter_column("order_id", existing_type=sa.String(length=40), nullable=False)
