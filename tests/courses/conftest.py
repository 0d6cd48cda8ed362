from datetime import time, timedelta

import pytest

from integrapath.courses import services
from integrapath.courses.models import CefrLevel, CourseType
from integrapath.extensions import db
from integrapath.security import Role


@pytest.fixture
def provider(make_user):
    """Staff of a course provider of the test municipality."""
    return make_user(Role.PROVIDER)


@pytest.fixture
def make_course(app):
    def make(provider, course_type=CourseType.LANGUAGE, title="German A1", **values):
        language = course_type == CourseType.LANGUAGE
        defaults = {
            "course_type": course_type,
            "hours": 300,
            "target_language": "de" if language else None,
            "entry_level": CefrLevel.PRE_A1 if language else None,
            "target_level": CefrLevel.A1 if language else None,
        }
        with app.test_request_context():
            course = services.save_course(
                None,
                services.CourseData(
                    values={**defaults, **values},
                    organisation_id=provider.organisation_id,
                    locale="en",
                    title=title,
                ),
                provider,
            )
            db.session.commit()
        return course

    return make


@pytest.fixture
def make_offering(app, make_course, today):
    """An offering running from a week ago for four weeks, on every weekday, 9:00–12:00."""

    def make(
        provider, course=None, capacity=20, start=None, weekdays=(1, 2, 3, 4, 5, 6, 7), **values
    ):
        course = course or make_course(provider)
        start = start or today - timedelta(days=7)
        fields = {
            "start_date": start,
            "end_date": start + timedelta(days=27),
            "weekday_numbers": list(weekdays),
            "starts_at": time(9),
            "ends_at": time(12),
            "place": "Volkshochschule, Raum 3",
            "online": False,
            "capacity": capacity,
            "instruction_languages": "de ar",
            "childcare": False,
            "attendance_threshold": 80,
            **values,
        }
        with app.test_request_context():
            offering = services.create_offering(course, fields, provider)
            db.session.commit()
        return offering

    return make


@pytest.fixture
def enrol(app, make_user):
    """Enrol a case as a caseworker of its municipality (through the service)."""

    def do(offering, case, caseworker=None):
        caseworker = caseworker or make_user(Role.CASEWORKER)
        with app.test_request_context():
            enrolment = services.enrol_case(offering, case, caseworker)
            db.session.commit()
        return enrolment

    return do
