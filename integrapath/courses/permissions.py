"""Who may do what with courses, in the domain's words (views and templates ask the same)."""

from ..accounts.models import User
from ..security import Role, permission
from .models import Course, CourseSession, Enrolment, EnrolmentStatus, Offering


def _own_provider(user: User, organisation_id: int) -> bool:
    return user.role == Role.PROVIDER and user.organisation_id == organisation_id


@permission
def can_manage_course(user: User, course: Course) -> bool:
    """The provider's staff and the municipality's administrators keep the catalogue."""
    return _own_provider(user, course.organisation_id) or (
        user.role == Role.ADMIN and user.municipality_id == course.municipality_id
    )


@permission
def can_run_offering(user: User, offering: Offering | Course) -> bool:
    """Scheduling, sessions, attendance and results are the provider's."""
    return _own_provider(user, offering.organisation_id)


@permission
def can_take_attendance(user: User, session: CourseSession, today) -> bool:
    return (
        can_run_offering(user, session.offering) and not session.cancelled and session.date <= today
    )


@permission
def can_enrol(user: User, offering: Offering) -> bool:
    return user.role == Role.CASEWORKER and user.municipality_id == offering.municipality_id


@permission
def can_take_off_course(user: User, enrolment: Enrolment) -> bool:
    return can_enrol(user, enrolment.offering) and enrolment.status in (
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.ENROLLED,
    )
