"""report settings and the sums reports read

Revision ID: 5e1f0a7c3b21
Revises: 5ec0a11ce55e
Create Date: 2026-12-01 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a7c3b21'
down_revision = '5ec0a11ce55e'
branch_labels = None
depends_on = None


def upgrade():
    # In place, not in batch mode: SQLite would copy and drop the tables others refer to.
    op.add_column('municipality', sa.Column('report_threshold', sa.Integer(),
                                            server_default='5', nullable=False))
    op.add_column('municipality', sa.Column('report_needs_consent', sa.Boolean(),
                                            server_default=sa.false(), nullable=False))
    op.add_column('enrolment', sa.Column('marked_sessions', sa.Integer(), server_default='0',
                                         nullable=False))
    op.add_column('enrolment', sa.Column('attended_sessions', sa.Integer(), server_default='0',
                                         nullable=False))
    op.add_column('language_standing', sa.Column('a2_reached_on', sa.Date(), nullable=True))
    op.add_column('language_standing', sa.Column('b1_reached_on', sa.Date(), nullable=True))
    # Fill the kept sums from what is recorded already.
    op.execute(
        "UPDATE enrolment SET "
        "marked_sessions = (SELECT count(*) FROM attendance WHERE attendance.enrolment_id = enrolment.id), "
        "attended_sessions = (SELECT count(*) FROM attendance WHERE attendance.enrolment_id = enrolment.id "
        "AND attendance.status IN ('present', 'late'))"
    )
    for column, rank in (('a2_reached_on', 2), ('b1_reached_on', 3)):
        op.execute(
            f"UPDATE language_standing SET {column} = (SELECT max(a.assessed_on) "  # noqa: S608
            "FROM language_assessment a WHERE a.case_id = language_standing.case_id "
            "AND a.language = language_standing.language AND a.current) "
            f"WHERE skills = 5 AND lowest_rank >= {rank}"
        )


def downgrade():
    # In place, not in batch mode: SQLite would copy and drop each table, and the rows that
    # refer to it (attendance to enrolments, everything to municipalities) would go with it
    # (SQLite drops a column itself since 3.35).
    for table, column in (('language_standing', 'b1_reached_on'),
                          ('language_standing', 'a2_reached_on'),
                          ('enrolment', 'attended_sessions'), ('enrolment', 'marked_sessions'),
                          ('municipality', 'report_needs_consent'),
                          ('municipality', 'report_threshold')):
        op.drop_column(table, column)
