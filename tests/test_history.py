"""Each history record keeps the day the next one took over, whatever order the services
record them in: what lead() over the whole history gives, without computing it per report."""

from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrapath.assessments.models import ActivityStatus, EmploymentStatus
from integrapath.assessments.services import record_employment_status
from integrapath.cases.models import Stage, StageChange
from integrapath.extensions import db
from integrapath.history import history_models, next_since, recompute_valid_until
from integrapath.inclusion.models import HousingRecord, HousingSituation, Status, StatusRecord
from integrapath.inclusion.services import InclusionError, record_housing, record_status
from integrapath.pathway.services import PathwayError, move_stage
from integrapath.security import Role

START = date(2024, 1, 1)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
NOT_WORKING = [status for status in ActivityStatus if status != ActivityStatus.EMPLOYED]

# One service call: what it records, on which day (weeks after START), which value.
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(("job", "home", "status", "stage")),
        st.integers(min_value=0, max_value=120),
        st.integers(min_value=0, max_value=20),
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture
def worker(app_ctx, make_user):
    return make_user(Role.CASEWORKER)


def _record(case, kind, day, choice, worker):
    if kind == "job":
        record_employment_status(case, NOT_WORKING[choice % len(NOT_WORKING)], day, None, worker)
    elif kind == "home":
        situations = list(HousingSituation)
        record_housing(case, situations[choice % len(situations)], day, None, None, worker)
    elif kind == "status":
        statuses = list(Status)
        with suppress(InclusionError):  # recorded so already
            record_status(case, statuses[choice % len(statuses)], choice % 2 == 0, day, None,
                          worker)  # fmt: skip
    else:
        # Moves happen now: travel to the day (earlier or later than the last move).
        # Refused when the case is in that stage already.
        at = datetime.combine(day, time(9), UTC)
        with time_machine.travel(at, tick=False), suppress(PathwayError):
            move_stage(case, list(Stage)[choice % len(Stage)], "Test", worker)


def _kept_and_computed(model, case_ids):
    """Each record's kept day and the day lead() gives, for the cases."""
    return db.session.execute(
        sa.select(model.id, model.valid_until, next_since(model)).where(model.case_id.in_(case_ids))
    ).all()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(operations=OPERATIONS)
def test_kept_day_equals_lead_after_any_sequence_of_records(worker, make_case, operations):
    with time_machine.travel(NOW, tick=False):
        case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
        other = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
        for kind, weeks, choice in operations:
            _record(case, kind, START + timedelta(weeks=weeks), choice, worker)
            # Another person's records in between: a case's days never mix with another's.
            _record(other, kind, START + timedelta(weeks=120 - weeks), choice + 1, worker)
    for model in history_models():
        rows = _kept_and_computed(model, [case.id, other.id])
        assert [kept for _id, kept, _lead in rows] == [lead for _id, _kept, lead in rows], model


def test_a_record_for_an_earlier_day_closes_the_one_before_it_and_ends_at_the_next(
    worker, make_case
):
    case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
    first = record_housing(case, HousingSituation.RECEPTION_CENTRE, date(2025, 1, 1), None,
                           None, worker)[0]  # fmt: skip
    last = record_housing(case, HousingSituation.SOCIAL_HOUSING, date(2025, 9, 1), None,
                          None, worker)[0]  # fmt: skip
    between = record_housing(case, HousingSituation.TEMPORARY_ACCOMMODATION, date(2025, 5, 1),
                             None, None, worker)[0]  # fmt: skip
    assert (first.valid_until, between.valid_until, last.valid_until) == (
        date(2025, 5, 1),
        date(2025, 9, 1),
        None,
    )


def test_each_status_ends_only_at_the_next_record_of_the_same_status(worker, make_case):
    case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
    insured = record_status(case, Status.HEALTH_INSURANCE, True, date(2025, 1, 1), None, worker)
    record_status(case, Status.LONG_TERM_RESIDENCE, True, date(2025, 3, 1), None, worker)
    assert insured.valid_until is None
    record_status(case, Status.HEALTH_INSURANCE, False, date(2025, 6, 1), None, worker)
    assert insured.valid_until == date(2025, 6, 1)


def test_job_and_stage_records_end_when_the_next_one_is_recorded(worker, make_case):
    with time_machine.travel(datetime(2026, 1, 10, 9, tzinfo=UTC), tick=False):
        case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
    job = record_employment_status(case, ActivityStatus.UNEMPLOYED, date(2025, 1, 1), None, worker)
    record_employment_status(case, ActivityStatus.IN_EDUCATION, date(2025, 4, 1), None, worker)
    assert job.valid_until == date(2025, 4, 1)
    registered = db.session.scalar(sa.select(StageChange).where(StageChange.case_id == case.id))
    with time_machine.travel(datetime(2026, 2, 3, 9, tzinfo=UTC), tick=False):
        move_stage(case, Stage.LONG_TERM, "Test", worker)
    assert registered.valid_until == date(2026, 2, 3)


def test_recompute_sets_the_days_of_records_inserted_in_bulk(worker, make_case):
    case = make_case(caseworker=worker, date_of_birth=date(1990, 1, 1))
    db.session.execute(
        sa.insert(HousingRecord),
        [{"case_id": case.id, "situation": situation, "since": since}
         for situation, since in ((HousingSituation.SOCIAL_HOUSING, date(2025, 8, 1)),
                                  (HousingSituation.RECEPTION_CENTRE, date(2025, 2, 1)))],
    )  # fmt: skip
    db.session.execute(
        sa.insert(EmploymentStatus),
        [{"case_id": case.id, "status": ActivityStatus.UNEMPLOYED, "since": date(2025, 1, 1)},
         {"case_id": case.id, "status": ActivityStatus.NOT_ACTIVE, "since": date(2025, 3, 1)}],
    )  # fmt: skip
    recompute_valid_until()
    for model in (HousingRecord, EmploymentStatus, StatusRecord):
        rows = _kept_and_computed(model, [case.id])
        assert [kept for _id, kept, _lead in rows] == [lead for _id, _kept, lead in rows]
    days = db.session.scalars(
        sa.select(HousingRecord.valid_until)
        .where(HousingRecord.case_id == case.id)
        .order_by(HousingRecord.since)
    ).all()
    assert days == [date(2025, 8, 1), None]
