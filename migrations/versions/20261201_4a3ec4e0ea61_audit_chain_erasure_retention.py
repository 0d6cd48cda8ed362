"""tamper-evident audit chain, erasure requests, retention of closed files

Revision ID: 4a3ec4e0ea61
Revises: 1e9ea290639a
Create Date: 2026-12-01 14:09:22.593764

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4a3ec4e0ea61'
down_revision = '1e9ea290639a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_chain',
    sa.Column('chain_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain_key', name=op.f('pk_audit_chain'))
    )
    op.create_table('erasure_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('ground', sa.Enum('person_asked', 'retention_ended', 'legal_obligation', 'legal_claims', name='ground', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('requested', 'erased', 'refused', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_ground', sa.Enum('person_asked', 'retention_ended', 'legal_obligation', 'legal_claims', name='refusal_ground', native_enum=False, create_constraint=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_erasure_request_case_id_case_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_erasure_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_erasure_request_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_erasure_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_request'))
    )
    with op.batch_alter_table('erasure_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_request_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_erasure_request_queue', ['municipality_id', 'status'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detail_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('detail_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_municipality_id_chain_seq'), ['municipality_id', 'chain_seq'])

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), server_default='10', nullable=False))

    _seal_existing_events()


def _seal_existing_events():
    """Chain the events recorded before the chain existed, in the order they were written."""
    from integrapath.audit import seal_rows
    from integrapath.extensions import UTCDateTime

    connection = op.get_bind()
    read = ('id', 'municipality_id', 'actor_id', 'actor_email', 'action', 'object_type',
            'object_id', 'ip_address')
    events = sa.table(
        'audit_event', *(sa.column(name) for name in read),
        sa.column('created_at', UTCDateTime()), sa.column('changes', sa.JSON()),
        *(sa.column(name) for name in ('chain_seq', 'detail_nonce', 'detail_digest', 'entry_hash')),
    )
    sealed = ('chain_seq', 'detail_nonce', 'detail_digest', 'entry_hash')
    rows = [dict(row._mapping) for row in connection.execute(
        sa.select(*[c for c in events.c if c.name not in sealed]).order_by(events.c.id))]
    if not rows:
        return
    seal_rows(connection, rows)
    connection.execute(
        events.update().where(events.c.id == sa.bindparam('event_id')).values(
            chain_seq=sa.bindparam('seq'), detail_nonce=sa.bindparam('nonce'),
            detail_digest=sa.bindparam('digest'), entry_hash=sa.bindparam('hash')),
        [{'event_id': row['id'], 'seq': row['chain_seq'], 'nonce': row['detail_nonce'],
          'digest': row['detail_digest'], 'hash': row['entry_hash']} for row in rows],
    )


def downgrade():
    # In place, not in batch mode: SQLite would copy and drop the municipality table.
    op.drop_column('municipality', 'retention_years')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_municipality_id_chain_seq'), type_='unique')
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('detail_digest')
        batch_op.drop_column('detail_nonce')
        batch_op.drop_column('chain_seq')

    with op.batch_alter_table('erasure_request', schema=None) as batch_op:
        batch_op.drop_index('ix_erasure_request_queue')
        batch_op.drop_index(batch_op.f('ix_erasure_request_case_id'))

    op.drop_table('erasure_request')
    op.drop_table('audit_chain')
