"""Keep residence permit numbers upper-case, so that the duplicate check and the caseload
search compare them with a plain equality the permit index can answer.

Revision ID: 5b1e0c7a9d21
Revises: 736260e09315
Create Date: 2026-12-01 00:10:00

"""
from alembic import op


revision = '5b1e0c7a9d21'
down_revision = '736260e09315'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE case_file SET permit_number = upper(trim(permit_number)) "
        "WHERE permit_number IS NOT NULL"
    )
    op.execute("UPDATE case_file SET permit_number = NULL WHERE permit_number = ''")


def downgrade():
    pass  # upper-case numbers are as valid as before
