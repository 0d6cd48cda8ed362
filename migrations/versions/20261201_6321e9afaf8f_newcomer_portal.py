"""Newcomer portal: the code of the activation letter, and newcomers' messages to their
caseworker.

Revision ID: 6321e9afaf8f
Revises: 33bce293911f
Create Date: 2026-12-01 08:14:30.159488

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6321e9afaf8f'
down_revision = '33bce293911f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newcomer_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('language_levels', 'qualifications', 'skills', 'other', name='topic', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_newcomer_message_case_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_newcomer_message_handled_by_id_user_account')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_newcomer_message_sent_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newcomer_message'))
    )
    with op.batch_alter_table('newcomer_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newcomer_message_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_newcomer_message_open', ['handled_at', 'sent_at', 'id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activation_code_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_activation_code_hash'), ['activation_code_hash'])



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_activation_code_hash'), type_='unique')
        batch_op.drop_column('activation_code_hash')

    with op.batch_alter_table('newcomer_message', schema=None) as batch_op:
        batch_op.drop_index('ix_newcomer_message_open')
        batch_op.drop_index(batch_op.f('ix_newcomer_message_case_id'))

    op.drop_table('newcomer_message')
