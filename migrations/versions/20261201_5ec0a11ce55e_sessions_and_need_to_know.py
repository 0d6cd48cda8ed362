"""Sessions an administrator can end, and the need-to-know setting of a municipality.

Revision ID: 5ec0a11ce55e
Revises: 4a3ec4e0ea61
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '5ec0a11ce55e'
down_revision = '4a3ec4e0ea61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_user_session_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index('ix_user_session_user_ended', 'user_session', ['user_id', 'ended_at'],
                    unique=False)
    # A plain ADD/DROP COLUMN: batch mode would copy the municipality table, which every
    # other table refers to.
    op.add_column('municipality', sa.Column('need_to_know', sa.Boolean(),
                                            server_default=sa.false(), nullable=False))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE municipality DROP COLUMN need_to_know')
    else:
        op.drop_column('municipality', 'need_to_know')
    op.drop_index('ix_user_session_user_ended', table_name='user_session')
    op.drop_table('user_session')
