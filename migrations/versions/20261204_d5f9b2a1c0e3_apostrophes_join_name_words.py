"""Names fold with their apostrophes dropped: "Ковальчук" folds to "kovalchuk" (it was
"koval chuk", as the soft sign came out as an apostrophe), "O'Brien" to "obrien". The files
whose folded names change get new name keys, and their nationalities and name words with them.

Revision ID: d5f9b2a1c0e3
Revises: c4e8a1f0b9d2
Create Date: 2026-12-04 12:00:00

"""
import re

from alembic import op
from anyascii import anyascii
import sqlalchemy as sa


revision = 'd5f9b2a1c0e3'
down_revision = 'c4e8a1f0b9d2'
branch_labels = None
depends_on = None

BATCH = 5000
NAMES = ('given_names', 'family_name', 'given_names_latin', 'family_name_latin')
KEYS = ('name_key', 'family_name_key', 'given_names_key')

files = sa.table(
    'case_file', sa.column('id'), sa.column('municipality_id'),
    *(sa.column(name) for name in NAMES + KEYS),
)
nationalities = sa.table(
    'case_nationality', sa.column('case_id'), sa.column('family_name_key'),
    sa.column('given_names_key'),
)
words = sa.table(
    'case_name_word', sa.column('case_id'), sa.column('word'), sa.column('municipality_id'),
    sa.column('family_name_key'), sa.column('given_names_key'),
)


def fold(*parts, apostrophes=True):
    """The name key as cases.services.name_key gives it (with or without the apostrophes)."""
    text = anyascii(' '.join(part for part in parts if part)).casefold()
    if not apostrophes:
        text = re.sub(r"['`]", '', text)
    return ' '.join(re.findall(r'[a-z0-9]+', text))


def keys(row, apostrophes):
    return {
        'name_key': fold(row.given_names, row.family_name, row.given_names_latin,
                         row.family_name_latin, apostrophes=apostrophes)[:520],
        'family_name_key': fold(row.family_name, row.family_name_latin,
                                apostrophes=apostrophes)[:240],
        'given_names_key': fold(row.given_names, row.given_names_latin,
                                apostrophes=apostrophes)[:240],
    }


def refold(apostrophes):
    bind = op.get_bind()
    candidates = sa.true()
    if bind.dialect.name == 'postgresql':  # only a name with a letter outside ASCII or a ' or `
        every_name = sa.func.concat_ws(' ', *(files.c[name] for name in NAMES))
        candidates = every_name.op('~')(r"[^\x01-\x7f'`]")
    last = 0
    while rows := bind.execute(
        sa.select(files).where(files.c.id > last, candidates).order_by(files.c.id).limit(BATCH)
    ).all():
        last = rows[-1].id
        changed = {}
        for row in rows:
            new = keys(row, apostrophes)
            if any(new[key] != getattr(row, key) for key in KEYS):
                changed[row.id] = (row, new)
        if not changed:
            continue
        ids = sorted(changed)
        bind.execute(
            files.update().where(files.c.id == sa.bindparam('file_id')).values(
                {key: sa.bindparam(f'new_{key}') for key in KEYS}
            ),
            [{'file_id': id_, **{f'new_{key}': new[key] for key in KEYS}}
             for id_, (_row, new) in changed.items()],
        )
        bind.execute(
            nationalities.update().where(nationalities.c.case_id == sa.bindparam('file_id'))
            .values(family_name_key=sa.bindparam('new_family'),
                    given_names_key=sa.bindparam('new_given')),
            [{'file_id': id_, 'new_family': new['family_name_key'],
              'new_given': new['given_names_key']} for id_, (_row, new) in changed.items()],
        )
        bind.execute(words.delete().where(words.c.case_id.in_(ids)))
        found = [
            {'case_id': id_, 'word': word, 'municipality_id': row.municipality_id,
             'family_name_key': new['family_name_key'],
             'given_names_key': new['given_names_key']}
            for id_, (row, new) in changed.items()
            for word in sorted({word[:100] for word in new['name_key'].split()})
        ]
        if found:
            bind.execute(words.insert(), found)


def upgrade():
    refold(apostrophes=False)


def downgrade():
    refold(apostrophes=True)
