"""Housing, health and civic records as status over time: on a date, now, and for every case."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from integrapath.audit import AuditEvent, action_label
from integrapath.cases.models import Relation
from integrapath.cases.services import add_dependant, case_timeline, link_household
from integrapath.extensions import db
from integrapath.inclusion import services
from integrapath.inclusion.models import (
    ChildEducationStage,
    HousingSituation,
    Status,
    StatusRecord,
)
from integrapath.inclusion.services import InclusionError
from integrapath.security import Role, scoped

RECEPTION = HousingSituation.RECEPTION_CENTRE
TEMPORARY = HousingSituation.TEMPORARY_ACCOMMODATION
SOCIAL = HousingSituation.SOCIAL_HOUSING


@pytest.fixture
def worker(app_ctx, make_user):
    return make_user(Role.CASEWORKER)


def _house(case, situation, since, worker, adequate=None, **kwargs):
    return services.record_housing(case, situation, since, adequate, None, worker, **kwargs)


def test_housing_on_a_date_is_the_latest_change_on_or_before_it(worker, make_case):
    case = make_case(caseworker=worker)
    _house(case, RECEPTION, date(2025, 1, 10), worker)
    _house(case, SOCIAL, date(2025, 6, 1), worker, adequate=True)
    assert services.housing_on(case, date(2025, 1, 9)) is None
    assert services.housing_on(case.id, date(2025, 1, 10)).situation == RECEPTION
    assert services.housing_on(case, date(2025, 5, 31)).situation == RECEPTION
    assert services.housing_on(case, date(2025, 6, 1)).situation == SOCIAL
    assert services.current_housing(case).adequate is True


def test_a_record_made_later_for_an_earlier_date_does_not_replace_the_current_situation(
    worker, make_case
):
    case = make_case(caseworker=worker)
    _house(case, SOCIAL, date(2025, 6, 1), worker)
    _house(case, RECEPTION, date(2025, 1, 10), worker)  # history filled in afterwards
    assert services.current_housing(case).situation == SOCIAL
    _house(case, TEMPORARY, date(2025, 6, 1), worker)  # the same day: the later record wins
    assert services.current_housing(case).situation == TEMPORARY
    assert [r.situation for r in services.housing_history(case)] == [TEMPORARY, SOCIAL, RECEPTION]


def test_a_family_move_is_recorded_on_every_linked_file_and_on_each_timeline(worker, make_case):
    mother, father = make_case(caseworker=worker), make_case(caseworker=worker)
    link_household(mother, father, Relation.SPOUSE, worker)
    _house(mother, SOCIAL, date(2025, 6, 1), worker, household=True)
    assert services.current_housing(father).situation == SOCIAL
    for case in (mother, father):
        events = [e for e in case_timeline(case) if e.action == "housing_recorded"]
        assert len(events) == 1
        assert events[0].changes["housing"] == [None, "social_housing"]
    assert action_label("housing_recorded") == "Housing situation recorded"


def test_a_family_move_before_a_childs_birth_leaves_the_childs_file_alone(worker, make_case):
    mother = make_case(caseworker=worker)
    baby = make_case(caseworker=worker, date_of_birth=date(2025, 9, 1))
    link_household(mother, baby, Relation.CHILD, worker)
    _house(mother, SOCIAL, date(2025, 6, 1), worker, household=True)
    assert services.current_housing(mother).situation == SOCIAL
    assert services.current_housing(baby) is None


def test_housing_cannot_be_dated_in_the_future_or_before_birth(worker, make_case, today):
    case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
    with pytest.raises(InclusionError):
        _house(case, SOCIAL, today + timedelta(days=1), worker)
    with pytest.raises(InclusionError):
        _house(case, SOCIAL, date(1989, 12, 31), worker)
    assert services.current_housing(case) is None


def test_the_set_form_gives_each_cases_situation_on_a_date_for_reports(worker, make_case):
    first, second, none = (make_case(caseworker=worker) for _ in range(3))
    _house(first, RECEPTION, date(2025, 1, 1), worker)
    _house(first, SOCIAL, date(2025, 3, 1), worker, adequate=False)
    _house(second, TEMPORARY, date(2025, 2, 1), worker)
    ids = select(first.__class__.id)
    rows = db.session.execute(services.housing_situations_on(ids, date(2025, 2, 15))).all()
    assert {row.case_id: row.situation for row in rows} == {
        first.id: RECEPTION,
        second.id: TEMPORARY,
    }
    rows = db.session.execute(services.housing_situations_on(ids, date(2025, 3, 1))).all()
    assert {row.case_id: (row.situation, row.adequate) for row in rows} == {
        first.id: (SOCIAL, False),
        second.id: (TEMPORARY, None),
    }
    assert none.id not in {row.case_id for row in rows}


def test_still_in_temporary_accommodation_after_twelve_months_lists_only_the_uninterrupted(
    worker, make_case
):
    today = date(2026, 6, 15)
    cutoff = services.months_before(today, 12)
    stayed, interrupted, recent, moved_out = (make_case(caseworker=worker) for _ in range(4))
    _house(stayed, TEMPORARY, date(2025, 3, 1), worker)
    _house(stayed, TEMPORARY, date(2025, 9, 1), worker, adequate=False)  # same place, judged
    _house(interrupted, TEMPORARY, date(2025, 3, 1), worker)
    _house(interrupted, HousingSituation.WITH_FAMILY_OR_FRIENDS, date(2025, 8, 1), worker)
    _house(interrupted, TEMPORARY, date(2025, 10, 1), worker)
    _house(recent, RECEPTION, date(2025, 1, 1), worker)
    _house(recent, TEMPORARY, date(2026, 1, 1), worker)
    _house(moved_out, TEMPORARY, date(2025, 1, 1), worker)
    _house(moved_out, SOCIAL, date(2026, 5, 1), worker)
    listed = set(db.session.scalars(services.cases_in_housing(TEMPORARY, today, cutoff)))
    assert listed == {stayed.id}
    now = set(db.session.scalars(services.cases_in_housing(TEMPORARY, today)))
    assert now == {stayed.id, interrupted.id, recent.id}


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert services.months_before(date(2026, 6, 15), 12) == date(2025, 6, 15)
    assert services.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert services.months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert services.months_before(date(2026, 1, 31), 2) == date(2025, 11, 30)


def test_health_insurance_and_long_term_residence_hold_from_their_date(worker, make_case):
    case = make_case(caseworker=worker)
    services.record_status(case, Status.HEALTH_INSURANCE, True, date(2025, 2, 1), None, worker)
    services.record_status(case, Status.LONG_TERM_RESIDENCE, True, date(2025, 9, 1), None, worker)
    services.record_status(case, Status.HEALTH_INSURANCE, False, date(2025, 12, 1), None, worker)
    assert not services.has_health_insurance(case, date(2025, 1, 31))
    assert services.has_health_insurance(case.id, date(2025, 6, 1))
    assert not services.has_health_insurance(case)
    assert services.holds_long_term_residence(case)
    assert not services.holds_long_term_residence(case, date(2025, 8, 31))
    assert not services.is_naturalised(case)
    insured = set(
        db.session.scalars(services.cases_holding(Status.HEALTH_INSURANCE, date(2025, 6, 1)))
    )
    assert insured == {case.id}


def test_a_gp_registration_holds_from_its_date_and_not_for_another_file(worker, make_case):
    mother, father = make_case(caseworker=worker), make_case(caseworker=worker)
    services.record_status(
        mother, Status.GENERAL_PRACTITIONER, True, date(2025, 3, 10), None, worker
    )
    assert not services.has_general_practitioner(mother, date(2025, 3, 9))
    assert services.has_general_practitioner(mother.id, date(2025, 3, 10))
    assert services.has_general_practitioner(mother)
    assert not services.has_general_practitioner(father)
    assert set(db.session.scalars(services.cases_holding(Status.HEALTH_INSURANCE))) == set()


def test_recording_what_already_stands_is_refused(worker, make_case):
    case = make_case(caseworker=worker)
    services.record_status(case, Status.GENERAL_PRACTITIONER, True, date(2025, 2, 1), None, worker)
    with pytest.raises(InclusionError):
        services.record_status(
            case, Status.GENERAL_PRACTITIONER, True, date(2025, 3, 1), None, worker
        )


def test_status_changes_are_audited_under_their_section_with_the_status_named(worker, make_case):
    case = make_case(caseworker=worker)
    services.record_status(case, Status.GENERAL_PRACTITIONER, True, date(2025, 2, 1), None, worker)
    services.record_status(case, Status.NATURALISED, True, date(2025, 3, 1), None, worker)
    events = {e.action: e.changes for e in case_timeline(case)}
    assert events["health_access_recorded"]["general_practitioner"] == [None, True]
    assert events["civic_status_recorded"]["naturalised"] == [None, True]


def test_sensitive_health_records_are_out_of_scope_for_the_newcomer(worker, make_case, make_user):
    migrant = make_user(Role.MIGRANT)
    case = make_case(caseworker=worker)
    case.account_id = migrant.id
    services.record_status(case, Status.HEALTH_INSURANCE, True, date(2025, 2, 1), None, worker)
    services.record_status(case, Status.HEALTH_REFERRAL, True, date(2025, 2, 1), None, worker)
    seen = db.session.scalars(scoped(select(StatusRecord.status), migrant)).all()
    assert seen == [Status.HEALTH_INSURANCE]
    both = db.session.scalars(scoped(select(StatusRecord.status), worker)).all()
    assert sorted(both) == sorted([Status.HEALTH_INSURANCE, Status.HEALTH_REFERRAL])


def test_viewing_health_needs_is_audited_like_the_sensitive_needs(worker, make_case):
    case = make_case(caseworker=worker)
    services.record_status(case, Status.GENERAL_PRACTITIONER, True, date(2025, 2, 1), None, worker)

    def views():
        db.session.commit()  # views are written when the request's transaction commits
        return db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "sensitive_flags_viewed", AuditEvent.object_id == case.id
            )
        ).all()

    services.health_lines(case, worker)
    assert views() == []
    services.record_status(case, Status.HEALTH_SUPPORT_NEEDED, True, date(2025, 2, 1), None, worker)
    services.health_lines(case, worker)
    assert [event.changes["flags"] for event in views()] == [[None, "health_support_needed"]]


def test_a_childs_education_is_recorded_for_a_family_member_of_this_file_only(worker, make_case):
    case, other = make_case(caseworker=worker), make_case(caseworker=worker)
    child = add_dependant(case, "Lina", 2021, Relation.CHILD, worker)
    stranger = add_dependant(other, "Omar", 2020, Relation.CHILD, worker)
    db.session.flush()
    services.record_child_education(
        case, child, ChildEducationStage.EARLY_CHILDHOOD, date(2024, 9, 1), None, worker
    )
    with pytest.raises(InclusionError):
        services.record_child_education(
            case, stranger, ChildEducationStage.SCHOOL, date(2025, 9, 1), None, worker
        )
    with pytest.raises(InclusionError):  # an adult's file has no "self" child
        services.record_child_education(
            case, None, ChildEducationStage.SCHOOL, date(2025, 9, 1), None, worker
        )
    lines = services.children_of(case, date(2026, 1, 1))
    assert [(line.name, [r.stage for r in line.records]) for line in lines] == [
        ("Lina", [ChildEducationStage.EARLY_CHILDHOOD])
    ]
