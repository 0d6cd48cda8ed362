"""An integration plan with everything a page can show: a goal with actions (one overdue,
linked to a course run and a milestone), agreed once and changed since."""

from datetime import timedelta

from integrapath.extensions import db
from integrapath.pathway import services
from integrapath.pathway.models import Responsibility
from integrapath.pathway.services import ActionData


def seeded_plan(case, caseworker, *, offering_id=None, milestone_id=None) -> dict:
    """Return the ids a page's path may name: ``goal`` and ``action``."""
    today = services.municipality_of(case).today()
    goal = services.add_goal(case, "Work as a nurse in the town's hospital", caseworker)
    overdue = services.add_action(
        case,
        goal,
        ActionData(
            "Apply for recognition of the nursing degree",
            Responsibility.MIGRANT,
            today - timedelta(days=3),
            offering_id,
            milestone_id,
        ),
        caseworker,
    )
    services.add_action(
        case,
        goal,
        ActionData("Book the B1 exam", Responsibility.MUNICIPALITY, today + timedelta(days=30)),
        caseworker,
    )
    services.agree_plan(case, today, caseworker)
    services.add_goal(case, "Find a flat of their own", caseworker)  # changed since version 1
    db.session.commit()
    return {"goal": goal.id, "action": overdue.id}
