"""Readiness to advance and the last activity kept on the case file, with the indexes the
caseload's notice and the caseworker's day read them from.

Revision ID: d7a1c3e5b902
Revises: b67e7b2b33d3
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a1c3e5b902'
down_revision = 'b67e7b2b33d3'
branch_labels = None
depends_on = None


def upgrade():
    from integrapath.extensions import UTCDateTime

    # In place, not in batch mode: SQLite would copy and drop the tables others refer to.
    op.add_column(
        "case_file",
        sa.Column("ready_to_advance", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("case_file", sa.Column("last_recorded_at", UTCDateTime(), nullable=True))
    _compute_kept_state()
    op.create_index(
        "ix_case_file_ready",
        "case_file",
        ["municipality_id", "caseworker_id", "id"],
        postgresql_where=sa.text("ready_to_advance"),
        sqlite_where=sa.text("ready_to_advance"),
    )
    op.create_index(
        "ix_case_file_caseworker_quiet",
        "case_file",
        ["municipality_id", "caseworker_id", "status", "last_recorded_at", "id"],
    )


def _compute_kept_state():
    """Every file's readiness and last activity, by the conditions the app keeps them with
    (one UPDATE per municipality)."""
    from integrapath.cases.models import Case
    from integrapath.pathway.services import host_language, kept_state_update, ready_condition_of

    connection = op.get_bind()
    milestones = sa.table(
        "milestone", *(sa.column(name) for name in (
            "id", "municipality_id", "stage", "rule", "required", "retired_at"
        ))
    )
    towns = connection.execute(sa.text("SELECT id, default_locale FROM municipality")).all()
    for town in towns:
        live = connection.execute(
            sa.select(milestones)
            .where(milestones.c.municipality_id == town.id, milestones.c.retired_at.is_(None))
        ).all()
        ready = ready_condition_of(live, host_language(town))
        connection.execute(kept_state_update(ready).where(Case.municipality_id == town.id))


def downgrade():
    op.drop_index("ix_case_file_caseworker_quiet", table_name="case_file")
    op.drop_index("ix_case_file_ready", table_name="case_file")
    op.drop_column("case_file", "last_recorded_at")
    op.drop_column("case_file", "ready_to_advance")
