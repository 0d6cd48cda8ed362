"""Indexes that match each caseload filter and order, the case timeline, the audit log and the
caseworker list; trigram search for names on PostgreSQL.

Revision ID: faef9947e278
Revises: 5b1e0c7a9d21
Create Date: 2026-12-01 01:00:00

"""
from alembic import op


revision = 'faef9947e278'
down_revision = '5b1e0c7a9d21'
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("case_file") as batch:
        # Orders end with the id, so that "Next" continues from the last row by index.
        batch.drop_index("ix_case_file_family_name")
        batch.create_index(
            "ix_case_file_family_name",
            ["municipality_id", "family_name_key", "given_names_key", "id"],
        )
        batch.create_index(
            "ix_case_file_caseworker_name",
            ["municipality_id", "caseworker_id", "family_name_key", "given_names_key", "id"],
        )
        batch.drop_index("ix_case_file_permit_expires")
        batch.create_index(
            "ix_case_file_permit_expires", ["municipality_id", "permit_expires_on", "id"]
        )
        # A B-tree cannot answer LIKE '%…%'; trigrams can (PostgreSQL), SQLite scans.
        batch.drop_index("ix_case_file_name_key")
    if postgresql:
        # pg_trgm is a trusted extension: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_case_file_name_key_trigram",
            "case_file",
            ["name_key"],
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_case_file_name_key_trigram", "case_file", ["name_key"])
    with op.batch_alter_table("audit_event") as batch:
        batch.create_index("ix_audit_event_object", ["object_type", "object_id", "created_at"])
        batch.drop_index("ix_audit_event_municipality_created")
        batch.create_index(
            "ix_audit_event_municipality_created", ["municipality_id", "created_at", "id"]
        )
    with op.batch_alter_table("user_account") as batch:
        batch.create_index("ix_user_account_municipality_role", ["municipality_id", "role"])


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index("ix_user_account_municipality_role")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_municipality_created")
        batch.create_index("ix_audit_event_municipality_created", ["municipality_id", "created_at"])
        batch.drop_index("ix_audit_event_object")
    op.drop_index("ix_case_file_name_key_trigram", table_name="case_file")
    with op.batch_alter_table("case_file") as batch:
        batch.create_index("ix_case_file_name_key", ["municipality_id", "name_key"])
        batch.drop_index("ix_case_file_permit_expires")
        batch.create_index("ix_case_file_permit_expires", ["municipality_id", "permit_expires_on"])
        batch.drop_index("ix_case_file_caseworker_name")
        batch.drop_index("ix_case_file_family_name")
        batch.create_index(
            "ix_case_file_family_name", ["municipality_id", "family_name_key", "given_names_key"]
        )
