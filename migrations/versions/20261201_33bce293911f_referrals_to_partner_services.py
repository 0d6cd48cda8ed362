"""Referrals: the service areas partner organisations cover, referrals of cases to them with
every status change, and the days a partner service has to answer.

Revision ID: 33bce293911f
Revises: 8330815293fa
Create Date: 2026-12-01 08:07:21.537926

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '33bce293911f'
down_revision = '8330815293fa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_service_area',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Enum('employment', 'health', 'housing', 'psychosocial_support', 'legal_advice', 'education', name='area', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_partner_service_area_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'area', name=op.f('pk_partner_service_area'))
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('service_area', sa.Enum('employment', 'health', 'housing', 'psychosocial_support', 'legal_advice', 'education', name='service_area', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('sent', 'accepted', 'declined', 'completed', 'withdrawn', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('answer_expected_on', sa.Date(), nullable=False),
    sa.Column('status_changed_on', sa.Date(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_referral_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['organisation.id'], name=op.f('fk_referral_partner_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['referred_by_id'], ['user_account.id'], name=op.f('fk_referral_referred_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_case_status', ['case_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_partner_id'), ['partner_id'], unique=False)

    op.create_table('referral_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('sent', 'accepted', 'declined', 'completed', 'withdrawn', name='from_status', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('to_status', sa.Enum('sent', 'accepted', 'declined', 'completed', 'withdrawn', name='to_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_referral_status_change_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_status_change_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_status_change'))
    )
    with op.batch_alter_table('referral_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_status_change_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_answer_days', sa.Integer(), server_default='14', nullable=False))



def downgrade():
    # In place, not in batch mode: SQLite would copy and drop the municipality table, which
    # every file and milestone refers to (SQLite drops a column itself since 3.35).
    op.drop_column('municipality', 'referral_answer_days')

    with op.batch_alter_table('referral_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_status_change_referral_id'))

    op.drop_table('referral_status_change')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_partner_id'))
        batch_op.drop_index('ix_referral_case_status')

    op.drop_table('referral')
    op.drop_table('partner_service_area')
