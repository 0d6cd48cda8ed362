"""The enrolments in progress by file: a caseworker's attendance alerts read them file by file.

Revision ID: b7c1d2e3f4a5
Revises: 5d24593aeed2
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1d2e3f4a5'
down_revision = '5d24593aeed2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_enrolment_enrolled",
        "enrolment",
        ["case_id"],
        postgresql_where=sa.text("status = 'enrolled'"),
        sqlite_where=sa.text("status = 'enrolled'"),
    )


def downgrade():
    op.drop_index("ix_enrolment_enrolled", table_name="enrolment")
