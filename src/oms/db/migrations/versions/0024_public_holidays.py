"""public holidays by country and region; nodes and carrier services follow them unless they say otherwise

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_holidays",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("country", "region", "day", name=op.f("pk_public_holidays")),
    )
    # Nodes follow their country's holidays from now on (none are stored yet, so nothing changes until
    # some are); carrier services only once they name their country.
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("region", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("public_holidays", sa.Boolean(), nullable=False, server_default="1"))
    with op.batch_alter_table("carrier_services") as batch:
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("public_holidays", sa.Boolean(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("carrier_services") as batch:
        batch.drop_column("public_holidays")
        batch.drop_column("country")
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("public_holidays")
        batch.drop_column("region")
    op.drop_table("public_holidays")
