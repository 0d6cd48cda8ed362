"""What the reports count about each file, kept in one narrow row per file (case_figures),
filled from the files and their histories.

Revision ID: e34eecd28e7b
Revises: 9b3e61d0a2f4
Create Date: 2026-12-02 04:29:57.311696

"""
from alembic import op
import sqlalchemy as sa


revision = 'e34eecd28e7b'
down_revision = '9b3e61d0a2f4'
branch_labels = None
depends_on = None


def upgrade():
    from integrapath.extensions import UTCDateTime

    op.create_table('case_figures',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('active', 'closed', name='figures_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('sex', sa.Enum('female', 'male', 'diverse', 'unknown', name='figures_sex', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('country_of_birth', sa.String(length=2), nullable=True),
    sa.Column('residence_category', sa.Enum('refugee', 'subsidiary_protection', 'asylum_applicant', 'resettled', 'family_reunification', 'labour_migrant', 'highly_skilled', 'student', 'other', name='figures_residence_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('arrived_on', sa.Date(), nullable=True),
    sa.Column('kept_on', sa.Date(), nullable=False),
    sa.Column('kept_until', sa.Date(), nullable=True),
    sa.Column('stage', sa.Enum('pre_departure', 'arrival', 'early_integration', 'long_term', 'inclusion', name='figures_stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stage_since', sa.Date(), nullable=True),
    sa.Column('activity', sa.Enum('employed', 'self_employed', 'unemployed', 'in_education', 'in_vocational_training', 'not_active', name='figures_activity', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('isco_major', sa.String(length=1), nullable=True),
    sa.Column('housing', sa.Enum('reception_centre', 'temporary_accommodation', 'shared_flat', 'social_housing', 'private_rental', 'owner', 'with_family_or_friends', 'homeless', 'unknown', name='figures_housing', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('health_insurance', sa.Boolean(), nullable=False),
    sa.Column('general_practitioner', sa.Boolean(), nullable=False),
    sa.Column('long_term_residence', sa.Boolean(), nullable=False),
    sa.Column('naturalised', sa.Boolean(), nullable=False),
    sa.Column('isced_level', sa.Integer(), nullable=True),
    sa.Column('a2_reached_on', sa.Date(), nullable=True),
    sa.Column('b1_reached_on', sa.Date(), nullable=True),
    sa.Column('day_6', sa.Date(), nullable=True),
    sa.Column('day_12', sa.Date(), nullable=True),
    sa.Column('day_24', sa.Date(), nullable=True),
    sa.Column('day_36', sa.Date(), nullable=True),
    sa.Column('activity_6', sa.String(length=32), nullable=True),
    sa.Column('stage_6', sa.String(length=32), nullable=True),
    sa.Column('activity_12', sa.String(length=32), nullable=True),
    sa.Column('stage_12', sa.String(length=32), nullable=True),
    sa.Column('activity_24', sa.String(length=32), nullable=True),
    sa.Column('stage_24', sa.String(length=32), nullable=True),
    sa.Column('activity_36', sa.String(length=32), nullable=True),
    sa.Column('stage_36', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_figures_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_case_figures_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_figures'))
    )
    with op.batch_alter_table('case_figures', schema=None) as batch_op:
        batch_op.create_index('ix_case_figures_kept_until', ['municipality_id', 'kept_until'], unique=False)
        batch_op.create_index('ix_case_figures_municipality', ['municipality_id', 'created_at'], unique=False)
    _keep_every_file()


def _keep_every_file():
    """Every file's row, by the queries the app keeps them with (one statement per
    municipality)."""
    from sqlalchemy.orm import Session

    from integrapath.reports.figures import keep_municipality

    connection = op.get_bind()
    session = Session(bind=connection)
    towns = connection.execute(
        sa.text("SELECT id, default_locale, timezone FROM municipality")
    ).all()
    for town in towns:
        keep_municipality(session, town)
    session.close()  # the migration's transaction is the connection's: kept with it


def downgrade():
    with op.batch_alter_table('case_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_case_figures_municipality')
        batch_op.drop_index('ix_case_figures_kept_until')

    op.drop_table('case_figures')
