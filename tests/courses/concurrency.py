"""Committed data for tests that run real concurrent transactions (PostgreSQL), outside the
per-test transaction so that other connections see it, and its removal afterwards."""

from dataclasses import dataclass
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from integrapath.accounts.models import Municipality, Organisation, OrganisationKind, User
from integrapath.cases.models import Case, ResidenceCategory, Sex, Stage
from integrapath.courses.models import Course, CourseSession, CourseText, CourseType, Offering
from integrapath.security import Role


@dataclass
class Committed:
    municipality_id: int
    offering_id: int
    session_id: int
    caseworker_id: int
    provider_ids: list[int]
    case_ids: list[int]


def committed_offering(app, engine, *, capacity: int, people: int, code="CCUR") -> Committed:
    with Session(engine) as setup:
        town = Municipality(name="Concurrent courses", code=code, timezone="Europe/Berlin")
        setup.add(town)
        setup.flush()
        school = Organisation(
            municipality_id=town.id, name="School", kind=OrganisationKind.COURSE_PROVIDER
        )
        setup.add(school)
        setup.flush()
        staff = [
            User(email=f"{code.lower()}-{role}{n}@example.org", full_name=f"{role} {n}",
                 role=role, municipality_id=town.id,
                 organisation_id=school.id if role == Role.PROVIDER else None)
            for n, role in enumerate([Role.CASEWORKER, Role.PROVIDER, Role.PROVIDER])
        ]  # fmt: skip
        setup.add_all(staff)
        course = Course(
            municipality_id=town.id, organisation_id=school.id, course_type=CourseType.INTRODUCTION,
            own_locale="en", hours=20, texts=[CourseText(locale="en", title="Introduction")],
        )  # fmt: skip
        setup.add(course)
        setup.flush()
        today = town.today()
        offering = Offering(
            course_id=course.id, municipality_id=town.id, organisation_id=school.id,
            start_date=today - timedelta(days=1), end_date=today + timedelta(days=30),
            weekdays="1 2 3 4 5 6 7", starts_at=time(9), ends_at=time(12), place="Room 1",
            capacity=capacity, instruction_languages="en",
        )  # fmt: skip
        setup.add(offering)
        setup.flush()
        session = CourseSession(
            offering_id=offering.id, date=today, starts_at=time(9), ends_at=time(12)
        )
        setup.add(session)
        cases = [
            Case(
                municipality_id=town.id, reference=f"{code}-{n:04d}", given_names=f"P{n}",
                family_name="Test", name_key=f"p{n} test", family_name_key="test",
                given_names_key=f"p{n}", date_of_birth=date(1990, 1, 1), sex=Sex.FEMALE,
                preferred_language="en", residence_category=ResidenceCategory.REFUGEE,
                stage=Stage.ARRIVAL, caseworker_id=staff[0].id,
            )
            for n in range(people)
        ]  # fmt: skip
        setup.add_all(cases)
        setup.commit()
        return Committed(
            town.id, offering.id, session.id, staff[0].id, [staff[1].id, staff[2].id],
            [case.id for case in cases],
        )  # fmt: skip


def run_together(threads) -> None:
    """Start the threads (each waits at a barrier for the others) and wait for them all."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def drop_committed(engine, committed: Committed) -> None:
    town = {"town": committed.municipality_id}
    with engine.begin() as connection:
        for statement in (
            "DELETE FROM audit_event WHERE municipality_id = :town",
            "DELETE FROM enrolment WHERE offering_id IN "
            "(SELECT id FROM offering WHERE municipality_id = :town)",
            "DELETE FROM offering WHERE municipality_id = :town",
            "DELETE FROM course WHERE municipality_id = :town",
            "DELETE FROM case_file WHERE municipality_id = :town",
            "DELETE FROM user_account WHERE municipality_id = :town",
            "DELETE FROM organisation WHERE municipality_id = :town",
            "DELETE FROM municipality WHERE id = :town",
        ):
            connection.execute(sa.text(statement), town)
