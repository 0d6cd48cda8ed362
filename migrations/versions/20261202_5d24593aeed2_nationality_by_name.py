"""The caseload filtered by nationality in name order: each nationality row carries its
file's municipality and name keys, and an index walks one nationality of one municipality in
name order (before, PostgreSQL walked the whole municipality's name index to find the few
people of a nationality whose names cluster elsewhere in the alphabet).

Revision ID: 5d24593aeed2
Revises: e34eecd28e7b
Create Date: 2026-12-02 05:03:55

"""
from alembic import op
import sqlalchemy as sa


revision = '5d24593aeed2'
down_revision = 'e34eecd28e7b'
branch_labels = None
depends_on = None


def upgrade():
    # In place, not in batch mode: SQLite would copy the table for what it can add in place.
    op.add_column('case_nationality', sa.Column('municipality_id', sa.Integer(), nullable=True))
    op.add_column(
        'case_nationality', sa.Column('family_name_key', sa.String(length=240), nullable=True)
    )
    op.add_column(
        'case_nationality', sa.Column('given_names_key', sa.String(length=240), nullable=True)
    )
    op.execute(
        "UPDATE case_nationality SET municipality_id = case_file.municipality_id, "
        "family_name_key = case_file.family_name_key, "
        "given_names_key = case_file.given_names_key "
        "FROM case_file WHERE case_file.id = case_nationality.case_id"
    )
    op.drop_index('ix_case_nationality_country', table_name='case_nationality')
    op.create_index(
        'ix_case_nationality_by_name',
        'case_nationality',
        ['country_code', 'municipality_id', 'family_name_key', 'given_names_key', 'case_id'],
    )


def downgrade():
    op.drop_index('ix_case_nationality_by_name', table_name='case_nationality')
    op.create_index(
        'ix_case_nationality_country', 'case_nationality', ['country_code', 'case_id']
    )
    for name in ('given_names_key', 'family_name_key', 'municipality_id'):
        op.drop_column('case_nationality', name)
