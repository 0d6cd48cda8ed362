"""The name search by word: each word of a file's names in a row of its own, beside the
file's municipality and name keys, walked in name order. It replaces the trigram index of
the names, which found every file containing the term before a page could be sorted.

Revision ID: c4e8a1f0b9d2
Revises: b7c1d2e3f4a5
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1f0b9d2'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None

WORD_LENGTH = 100
BATCH = 5000


def upgrade():
    words = op.create_table(
        'case_name_word',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('word', sa.String(length=WORD_LENGTH), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('family_name_key', sa.String(length=240), nullable=False),
        sa.Column('given_names_key', sa.String(length=240), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['case_file.id'],
            name=op.f('fk_case_name_word_case_id_case_file'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('case_id', 'word', name=op.f('pk_case_name_word')),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            f"INSERT INTO case_name_word "
            f"SELECT DISTINCT c.id, left(w.word, {WORD_LENGTH}), c.municipality_id, "
            f"c.family_name_key, c.given_names_key "
            f"FROM case_file c, regexp_split_to_table(c.name_key, ' ') AS w(word) "
            f"WHERE w.word <> ''"
        )
    else:  # SQLite cannot split a string: the words are cut here, a batch at a time
        files = sa.table(
            'case_file', sa.column('id'), sa.column('municipality_id'), sa.column('name_key'),
            sa.column('family_name_key'), sa.column('given_names_key'),
        )
        last = 0
        while rows := bind.execute(
            sa.select(files).where(files.c.id > last).order_by(files.c.id).limit(BATCH)
        ).all():
            last = rows[-1].id
            found = [
                {'case_id': row.id, 'word': word, 'municipality_id': row.municipality_id,
                 'family_name_key': row.family_name_key, 'given_names_key': row.given_names_key}
                for row in rows
                for word in sorted({word[:WORD_LENGTH] for word in (row.name_key or '').split()})
            ]
            if found:
                bind.execute(words.insert(), found)
    op.create_index(
        'ix_case_name_word_by_name',
        'case_name_word',
        ['municipality_id', 'word', 'family_name_key', 'given_names_key', 'case_id'],
    )
    op.drop_index('ix_case_file_name_key_trigram', table_name='case_file')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_case_file_name_key_trigram',
            'case_file',
            ['name_key'],
            postgresql_using='gin',
            postgresql_ops={'name_key': 'gin_trgm_ops'},
        )
    else:
        op.create_index('ix_case_file_name_key_trigram', 'case_file', ['name_key'])
    op.drop_index('ix_case_name_word_by_name', table_name='case_name_word')
    op.drop_table('case_name_word')
