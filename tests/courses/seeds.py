"""A running course with a session today, for tests that walk every page."""

from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select

from integrapath.courses import services
from integrapath.courses.models import CefrLevel, CourseSession, CourseType, Offering
from integrapath.extensions import db
from integrapath.security import Role


@dataclass
class RunningCourse:
    offering: Offering
    session: CourseSession
    caseworker: object

    @property
    def organisation_id(self) -> int:
        return self.offering.organisation_id

    @property
    def ids(self) -> dict:
        return {
            "course": self.offering.course_id,
            "offering": self.offering.id,
            "session": self.session.id,
        }

    def enrol(self, case):
        enrolment = services.enrol_case(self.offering, case, self.caseworker)
        enrolment.enrolled_on = self.offering.start_date
        db.session.commit()
        return enrolment


def running_course(make_user, make_case, capacity: int = 30) -> RunningCourse:
    provider = make_user(Role.PROVIDER)
    caseworker = make_user(Role.CASEWORKER)
    course = services.save_course(
        None,
        services.CourseData(
            values={"course_type": CourseType.LANGUAGE, "hours": 300, "target_language": "de",
                    "entry_level": CefrLevel.A1, "target_level": CefrLevel.A2},
            organisation_id=provider.organisation_id, locale="en", title="German A2",
        ),
        provider,
    )  # fmt: skip
    today = db.session.get(type(provider.municipality), provider.municipality_id).today()
    offering = services.create_offering(
        course,
        {"start_date": today - timedelta(days=7), "end_date": today + timedelta(days=21),
         "weekday_numbers": [1, 2, 3, 4, 5, 6, 7], "starts_at": time(9), "ends_at": time(12),
         "place": "Room 1", "online": False, "capacity": capacity,
         "instruction_languages": "de ar", "childcare": True, "attendance_threshold": 80},
        provider,
    )  # fmt: skip
    db.session.commit()
    session = db.session.scalar(
        select(CourseSession).where(
            CourseSession.offering_id == offering.id, CourseSession.date == today
        )
    )
    return RunningCourse(offering, session, caseworker)
