"""Pathway: milestones per municipality and stage, the ticks caseworkers give them, and the
weeks without activity after which the caseworker's day lists a case.

Revision ID: 8cf39329120a
Revises: 0f8a9651a18f
Create Date: 2026-12-01 05:00:45.958303

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8cf39329120a'
down_revision = '0f8a9651a18f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inactivity_weeks', sa.Integer(), server_default='8', nullable=False))

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('pre_departure', 'arrival', 'early_integration', 'long_term', 'inclusion', name='stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rule', sa.Enum('ticked', 'needs_assessed', 'language_a1', 'language_a2', 'language_b1', 'civic_orientation', 'skills_profile', 'recognition_started', 'recognition_decided', 'work_or_education', 'long_term_residence', name='rule', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('fallback_locale', sa.String(length=8), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_milestone_municipality_id_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_municipality_stage', ['municipality_id', 'stage'], unique=False)

    op.create_table('milestone_tick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=False),
    sa.Column('ticked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_milestone_tick_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_tick_milestone_id_milestone'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticked_by_id'], ['user_account.id'], name=op.f('fk_milestone_tick_ticked_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_tick')),
    sa.UniqueConstraint('case_id', 'milestone_id', name=op.f('uq_milestone_tick_case_id_milestone_id'))
    )
    with op.batch_alter_table('milestone_tick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_tick_milestone_id'), ['milestone_id'], unique=False)



def downgrade():
    with op.batch_alter_table('milestone_tick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_tick_milestone_id'))

    op.drop_table('milestone_tick')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_municipality_stage')

    op.drop_table('milestone')
    # In place, not in batch mode: SQLite would copy and drop the municipality table, which
    # every file refers to (SQLite drops a column itself since 3.35).
    op.drop_column('municipality', 'inactivity_weeks')
