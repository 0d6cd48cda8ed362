"""referral serves a plan action

Revision ID: 1e9ea290639a
Revises: 6321e9afaf8f
Create Date: 2026-12-01 09:36:29.608890

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1e9ea290639a'
down_revision = '6321e9afaf8f'
branch_labels = None
depends_on = None


def _referral_table(change):
    # SQLite adds or drops a foreign key only by copying the table (batch mode) and dropping
    # the old one, which deletes the status history that cascades from it (foreign keys are
    # on): keep it aside.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('CREATE TEMPORARY TABLE kept_referral_status_change AS '
                   'SELECT * FROM referral_status_change')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        change(batch_op)
    if sqlite:
        op.execute('INSERT INTO referral_status_change SELECT * FROM kept_referral_status_change')
        op.execute('DROP TABLE kept_referral_status_change')


def _add(batch_op):
    batch_op.add_column(sa.Column('action_id', sa.Integer(), nullable=True))
    batch_op.create_index(batch_op.f('ix_referral_action_id'), ['action_id'], unique=False)
    batch_op.create_foreign_key(batch_op.f('fk_referral_action_id_plan_action'), 'plan_action',
                                ['action_id'], ['id'], ondelete='SET NULL')


def _drop(batch_op):
    batch_op.drop_constraint(batch_op.f('fk_referral_action_id_plan_action'), type_='foreignkey')
    batch_op.drop_index(batch_op.f('ix_referral_action_id'))
    batch_op.drop_column('action_id')


def upgrade():
    _referral_table(_add)


def downgrade():
    _referral_table(_drop)
