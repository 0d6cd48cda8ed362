"""The pathway's stages: moves forward and back, their history, and the days in each stage."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from integrapath.audit import AuditEvent
from integrapath.cases.models import ClosingReason, Stage, StageChange
from integrapath.cases.services import close_case
from integrapath.extensions import db
from integrapath.pathway import services
from integrapath.pathway.services import PathwayError
from integrapath.security import Role


def _move(auth, case, to_stage, reason="", token_from=None):
    return auth.post(
        f"/cases/{case.id}/stage",
        {"stage-to_stage": to_stage, "stage-reason": reason},
        token_from=token_from or f"/cases/{case.id}",
    )


def test_a_case_moves_forward_without_a_reason_and_the_move_is_kept(app_ctx, make_case, make_user):
    case = make_case()
    actor = make_user(Role.CASEWORKER)
    change = services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)
    assert case.stage == Stage.EARLY_INTEGRATION
    assert (change.from_stage, change.to_stage, change.changed_by_id) == (
        Stage.ARRIVAL,
        Stage.EARLY_INTEGRATION,
        actor.id,
    )
    assert [c.to_stage for c in services.stage_history(case)] == [
        Stage.ARRIVAL,
        Stage.EARLY_INTEGRATION,
    ]


def test_going_back_is_refused_without_a_reason_and_kept_with_it(app_ctx, make_case, make_user):
    case = make_case()
    actor = make_user(Role.CASEWORKER)
    services.move_stage(case, Stage.LONG_TERM, None, actor)
    with pytest.raises(PathwayError) as refused:
        services.move_stage(case, Stage.EARLY_INTEGRATION, "  ", actor)
    assert refused.value.field == "reason"
    assert case.stage == Stage.LONG_TERM
    services.move_stage(case, Stage.EARLY_INTEGRATION, "Language course not finished", actor)
    assert case.stage == Stage.EARLY_INTEGRATION
    assert services.stage_history(case)[-1].reason == "Language course not finished"


def test_a_closed_case_or_the_same_stage_does_not_move(app_ctx, make_case, make_user, today):
    actor = make_user(Role.CASEWORKER)
    case = make_case()
    with pytest.raises(PathwayError):
        services.move_stage(case, Stage.ARRIVAL, None, actor)
    close_case(case, ClosingReason.MOVED_AWAY, today, actor)
    with pytest.raises(PathwayError):
        services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)
    assert db.session.scalar(select(func.count(StageChange.id))) == 1


def test_days_in_each_stage_count_the_municipalitys_calendar_days_over_every_stay(
    app_ctx, make_case, make_user, municipality
):
    municipality.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in March
    db.session.commit()
    actor = make_user(Role.CASEWORKER)
    # 1 March 2026, 11:30 UTC is already 2 March in Auckland.
    with time_machine.travel(datetime(2026, 3, 1, 11, 30, tzinfo=UTC), tick=False):
        case = make_case()
    with time_machine.travel(datetime(2026, 3, 11, 11, 30, tzinfo=UTC), tick=False):
        services.move_stage(case, Stage.EARLY_INTEGRATION, None, actor)
    with time_machine.travel(datetime(2026, 3, 15, 11, 30, tzinfo=UTC), tick=False):
        services.move_stage(case, Stage.ARRIVAL, "Moved to a new flat first", actor)
    # Just before midnight in Auckland on 20 March, then just after it.
    history = services.stage_history(case)
    with time_machine.travel(datetime(2026, 3, 20, 10, 59, tzinfo=UTC), tick=False):
        steps = services.stage_steps(case, history, municipality.today(), municipality.timezone)
    days = {step.stage: step.days for step in steps}
    assert days[Stage.ARRIVAL] == 10 + 4  # 2 to 12 March, then 16 to 20 March
    assert days[Stage.EARLY_INTEGRATION] == 4
    assert days[Stage.LONG_TERM] == 0
    with time_machine.travel(datetime(2026, 3, 20, 11, 1, tzinfo=UTC), tick=False):
        steps = services.stage_steps(case, history, municipality.today(), municipality.timezone)
    assert {step.stage: step.days for step in steps}[Stage.ARRIVAL] == 15
    assert [step.state for step in steps] == ["skipped", "current", "ahead", "ahead", "ahead"]
    assert steps[2].entered_on == date(2026, 3, 12)  # left again, its days kept
    assert steps[3].entered_on is None


def test_a_caseworker_moves_a_case_on_the_page_and_sees_it_in_stages_and_timeline(
    auth, caseworker, client, make_case
):
    case = make_case(caseworker=caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'aria-current="step"' in page and "Move to another stage" in page
    response = _move(auth, case, "early_integration")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#pathway")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "from Arrival and orientation to Early integration" in page
    assert "Moved to a later stage" in page  # the timeline
    refused = _move(auth, case, "arrival")
    assert refused.status_code == 200
    assert "Say why the case goes back to an earlier stage." in refused.get_data(as_text=True)
    _move(auth, case, "arrival", reason="Needs the orientation again")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Moved back to an earlier stage" in page and "Needs the orientation again" in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("stage_%"))
    ).all()
    assert sorted(actions) == ["stage_advanced", "stage_moved_back"]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.MIGRANT, Role.ADMIN])
def test_other_roles_cannot_move_a_case(auth, client, make_user, make_case, role):
    case = make_case()
    auth.login(make_user(role))
    response = _move(auth, case, "long_term", token_from="/account/password")
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count(StageChange.id))) == 1


def test_a_case_of_another_municipality_does_not_move(
    auth, caseworker, make_case, make_municipality
):
    foreign = make_case(in_municipality=make_municipality())
    assert _move(auth, foreign, "long_term", token_from="/cases/").status_code == 404
    assert foreign.stage == Stage.ARRIVAL


def test_the_case_page_queries_stay_the_same_as_moves_grow(
    auth, caseworker, client, make_case, count_queries
):
    case = make_case(caseworker=caseworker)
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for _ in range(15):
        services.move_stage(case, Stage.LONG_TERM, None, caseworker)
        services.move_stage(case, Stage.ARRIVAL, "again", caseworker)
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("from Long-term integration to Arrival and orientation") == 15
    assert len(many) == len(few)
