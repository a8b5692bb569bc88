"""capacity stripes: a day's places in several rows, so that orders at one node do not all wait for one
row's lock

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The rows there are become stripe 0, each holding all of its day's places under the limit it had.
    with op.batch_alter_table("capacity_use") as batch:
        batch.add_column(sa.Column("stripe", sa.SmallInteger(), server_default="0", nullable=False))
        batch.drop_constraint(batch.f("pk_capacity_use"), type_="primary")
        batch.create_primary_key(batch.f("pk_capacity_use"), ["resource", "day", "stripe"])


def downgrade() -> None:
    # Each day's stripes become one row again, with their places and caps added up.
    op.execute("CREATE TABLE capacity_days AS SELECT resource, day, SUM(used) AS used, SUM(cap) AS cap "
               "FROM capacity_use GROUP BY resource, day")
    op.execute("DELETE FROM capacity_use")
    with op.batch_alter_table("capacity_use") as batch:
        batch.drop_constraint(batch.f("pk_capacity_use"), type_="primary")
        batch.drop_column("stripe")
        batch.create_primary_key(batch.f("pk_capacity_use"), ["resource", "day"])
    op.execute("INSERT INTO capacity_use (resource, day, used, cap) SELECT resource, day, used, cap FROM capacity_days")
    op.execute("DROP TABLE capacity_days")
