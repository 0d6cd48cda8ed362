"""The benchmark's generated data: written in bulk, yet the rows registration would store."""

from datetime import date

import pytest
import sqlalchemy as sa

from integrapath.audit import AuditEvent
from integrapath.cases.models import Case, CaseLanguage, CaseNationality, StageChange
from integrapath.cases.services import register_case
from integrapath.extensions import db
from integrapath.security import Role
from integrapath.volume import caseworker_count, person, seed_volume

SAME_IN_BOTH = [
    column.key
    for column in Case.__table__.columns
    if column.key not in {"id", "municipality_id", "reference", "caseworker_id", "account_id",
                          "created_at", "updated_at"}
]  # fmt: skip


def _file(case_id: int) -> dict:
    case = db.session.get(Case, case_id)
    return {
        "row": {key: getattr(case, key) for key in SAME_IN_BOTH},
        "nationalities": db.session.execute(
            sa.select(CaseNationality.country_code, CaseNationality.position)
            .where(CaseNationality.case_id == case_id)
            .order_by(CaseNationality.position)
        ).all(),
        "languages": db.session.execute(
            sa.select(CaseLanguage.language_code, CaseLanguage.mother_tongue, CaseLanguage.position)
            .where(CaseLanguage.case_id == case_id)
            .order_by(CaseLanguage.position)
        ).all(),
        "stages": db.session.execute(
            sa.select(StageChange.from_stage, StageChange.to_stage, StageChange.reason).where(
                StageChange.case_id == case_id
            )
        ).all(),
        "events": [
            (event.action, sorted(event.changes), event.changes["stage"])
            for event in db.session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.object_type == "Case", AuditEvent.object_id == case_id
                )
            )
        ],
    }


def test_generated_files_are_the_rows_registration_would_store(
    app_ctx, make_municipality, make_user
):
    town = seed_volume(40)
    elsewhere = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    today = town.today()
    generated = db.session.scalars(
        sa.select(Case.id).where(Case.municipality_id == town.id).order_by(Case.id)
    ).all()
    compared = 0
    for number, case_id in enumerate(generated):
        one = person(number, caseworker_count(40), today)
        if one.closed:
            continue  # closing is not part of registration
        one.data.values["caseworker_id"] = elsewhere.id
        registered = register_case(one.data, elsewhere, confirmed_new_person=True)
        db.session.flush()
        assert _file(case_id) == _file(registered.id), number
        compared += 1
    assert compared > 30


def test_the_same_number_gives_the_same_person(app_ctx):
    first = [person(n, 2, date(2026, 12, 1)).data for n in range(20)]
    again = [person(n, 2, date(2026, 12, 1)).data for n in range(20)]
    assert first == again
    assert len({(data.values["given_names"], data.values["family_name"]) for data in first}) > 10


def test_seed_volume_refuses_a_second_run_in_the_same_database(app_ctx):
    seed_volume(3)
    with pytest.raises(ValueError, match="exists already"):
        seed_volume(3)
