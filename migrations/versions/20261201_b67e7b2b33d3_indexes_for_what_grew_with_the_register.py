"""Indexes for what grew with the register: the admin's account list in name order (read
in index order instead of sorting every account, newcomers' included), and the places freed
for someone whose caseworker has not looked yet (a notice on every caseload page).

Revision ID: b67e7b2b33d3
Revises: c4d2e8a1f6b3
Create Date: 2026-12-01 21:19:59

"""
import sqlalchemy as sa
from alembic import op


revision = 'b67e7b2b33d3'
down_revision = 'c4d2e8a1f6b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_user_account_municipality_name',
        'user_account',
        ['municipality_id', sa.literal_column('lower(full_name)'), 'id'],
    )
    op.create_index(
        'ix_enrolment_promoted_unseen',
        'enrolment',
        ['case_id'],
        postgresql_where=sa.text('promoted_unseen'),
        sqlite_where=sa.text('promoted_unseen'),
    )


def downgrade():
    op.drop_index('ix_enrolment_promoted_unseen', table_name='enrolment')
    op.drop_index('ix_user_account_municipality_name', table_name='user_account')
