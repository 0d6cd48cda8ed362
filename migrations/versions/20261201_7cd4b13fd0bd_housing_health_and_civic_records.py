"""Housing, health access, civic status and children's education, each a record per change
with its date, indexed for "the latest on a date" and for the caseload filters.

Revision ID: 7cd4b13fd0bd
Revises: faef9947e278
Create Date: 2026-12-01 03:59:15.214021

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7cd4b13fd0bd'
down_revision = 'faef9947e278'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('housing_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('situation', sa.Enum('reception_centre', 'temporary_accommodation', 'shared_flat', 'social_housing', 'private_rental', 'owner', 'with_family_or_friends', 'homeless', 'unknown', name='situation', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('adequate', sa.Boolean(), nullable=True),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_housing_record_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_housing_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_record'))
    )
    with op.batch_alter_table('housing_record', schema=None) as batch_op:
        batch_op.create_index('ix_housing_record_case_since', ['case_id', 'since', 'id'], unique=False)
        batch_op.create_index('ix_housing_record_situation_since', ['situation', 'since'], unique=False)

    op.create_table('status_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('health_insurance', 'general_practitioner', 'health_support_needed', 'health_referral', 'long_term_residence', 'naturalised', 'local_voting_right', 'association_member', 'volunteering', 'parents_council', 'consultative_body', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('holds', sa.Boolean(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_status_record_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_status_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_record'))
    )
    with op.batch_alter_table('status_record', schema=None) as batch_op:
        batch_op.create_index('ix_status_record_case_status_since', ['case_id', 'status', 'since', 'id'], unique=False)
        batch_op.create_index('ix_status_record_status_holds', ['status', 'holds'], unique=False)

    op.create_table('child_education_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('dependant_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.Enum('not_enrolled', 'early_childhood', 'school', name='education_stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_child_education_record_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dependant_id'], ['dependant.id'], name=op.f('fk_child_education_record_dependant_id_dependant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_child_education_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_education_record'))
    )
    with op.batch_alter_table('child_education_record', schema=None) as batch_op:
        batch_op.create_index('ix_child_education_record_case', ['case_id', 'dependant_id', 'since', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('child_education_record', schema=None) as batch_op:
        batch_op.drop_index('ix_child_education_record_case')

    op.drop_table('child_education_record')
    with op.batch_alter_table('status_record', schema=None) as batch_op:
        batch_op.drop_index('ix_status_record_status_holds')
        batch_op.drop_index('ix_status_record_case_status_since')

    op.drop_table('status_record')
    with op.batch_alter_table('housing_record', schema=None) as batch_op:
        batch_op.drop_index('ix_housing_record_situation_since')
        batch_op.drop_index('ix_housing_record_case_since')

    op.drop_table('housing_record')
