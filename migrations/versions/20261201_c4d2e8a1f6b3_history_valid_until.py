"""the day each history record stopped holding (valid_until), for reports

Revision ID: c4d2e8a1f6b3
Revises: 3f6a2c9d8e41
Create Date: 2026-12-01 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d2e8a1f6b3'
down_revision = '3f6a2c9d8e41'
branch_labels = None
depends_on = None

# Table -> (what orders its records, what else a record must share with the next one).
HISTORIES = {
    "employment_status": ("since", ""),
    "housing_record": ("since", ""),
    "status_record": ("since", ", status"),
    "stage_change": (None, ""),  # the day of the move: dialect-specific, below
}


def upgrade():
    # In place, not in batch mode: SQLite would copy and drop the tables others refer to.
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, (since, partition) in HISTORIES.items():
        op.add_column(table, sa.Column('valid_until', sa.Date(), nullable=True))
        if since is None:
            since = "CAST(changed_at AS DATE)" if postgresql else "date(changed_at)"
        # The next record's day, as lead() gives it; UPDATE ... FROM runs on both backends.
        op.execute(
            f"UPDATE {table} SET valid_until = following.until FROM ("
            f"SELECT id, lead({since}) OVER (PARTITION BY case_id{partition} "
            f"ORDER BY {since}, id) AS until FROM {table}) AS following "
            f"WHERE {table}.id = following.id AND following.until IS NOT NULL"
        )
    op.create_index('ix_employment_status_held', 'employment_status', ['valid_until', 'since'])
    op.create_index('ix_housing_record_held', 'housing_record', ['valid_until', 'since'])
    op.create_index('ix_status_record_held', 'status_record', ['valid_until', 'since'])
    op.create_index('ix_stage_change_held', 'stage_change', ['valid_until', 'case_id'])


def downgrade():
    for table in HISTORIES:
        op.drop_index(f'ix_{table}_held', table_name=table)
        op.drop_column(table, 'valid_until')
