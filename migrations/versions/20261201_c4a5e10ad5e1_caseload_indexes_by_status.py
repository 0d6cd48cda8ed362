"""Caseload indexes by status: the capped counts of every caseworker's files and the
expiring permits read an index instead of scanning the case table.

Revision ID: c4a5e10ad5e1
Revises: 5e1f0a7c3b21
Create Date: 2026-12-01 18:00:00

"""
from alembic import op


revision = 'c4a5e10ad5e1'
down_revision = '5e1f0a7c3b21'
branch_labels = None
depends_on = None


def upgrade():
    # In place, not in batch mode: SQLite would copy the table others refer to.
    op.create_index("ix_case_file_status", "case_file", ["municipality_id", "status", "id"])
    op.create_index(
        "ix_case_file_status_permit_expires",
        "case_file",
        ["municipality_id", "status", "permit_expires_on", "id"],
    )


def downgrade():
    op.drop_index("ix_case_file_status_permit_expires", table_name="case_file")
    op.drop_index("ix_case_file_status", table_name="case_file")
