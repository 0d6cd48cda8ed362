"""Current course runs by end date: the case file's suggestions read the runs not yet over
from an index instead of scanning every run the municipality ever had.

Revision ID: 9b3e61d0a2f4
Revises: d7a1c3e5b902
Create Date: 2026-12-01 21:45:00

"""
from alembic import op


revision = '9b3e61d0a2f4'
down_revision = 'd7a1c3e5b902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_offering_municipality_end", "offering", ["municipality_id", "end_date"])


def downgrade():
    op.drop_index("ix_offering_municipality_end", table_name="offering")
