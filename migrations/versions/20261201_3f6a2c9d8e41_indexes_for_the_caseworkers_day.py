"""Indexes for the caseworker's day: a caseworker's open files by permit expiry, and when
something was last recorded on each case file (views left out).

Revision ID: 3f6a2c9d8e41
Revises: c4a5e10ad5e1
Create Date: 2026-12-01 18:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '3f6a2c9d8e41'
down_revision = 'c4a5e10ad5e1'
branch_labels = None
depends_on = None

# As integrapath.audit.RECORDED_ON_A_CASE says it today; a migration keeps its own copy.
RECORDED_ON_A_CASE = (
    "object_type = 'Case' AND action NOT IN "
    "('case_viewed', 'unassigned_case_viewed', 'sensitive_flags_viewed')"
)


def upgrade():
    op.create_index(
        "ix_case_file_caseworker_permit",
        "case_file",
        ["municipality_id", "caseworker_id", "status", "permit_expires_on", "id"],
    )
    op.create_index(
        "ix_audit_event_case_recorded",
        "audit_event",
        ["object_id", "created_at"],
        postgresql_where=sa.text(RECORDED_ON_A_CASE),
        sqlite_where=sa.text(RECORDED_ON_A_CASE),
    )


def downgrade():
    op.drop_index("ix_audit_event_case_recorded", table_name="audit_event")
    op.drop_index("ix_case_file_caseworker_permit", table_name="case_file")
