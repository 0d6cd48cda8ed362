"""Recognition procedures follow the states of DESIGN.md section 2 and nothing else."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from integrapath.assessments import services
from integrapath.assessments.models import (
    MeasureKind,
    MeasureStatus,
    Qualification,
    RecognitionState,
)
from integrapath.audit import AuditEvent
from integrapath.errors import RuleBroken
from integrapath.extensions import db

S = RecognitionState
ALLOWED = {
    (S.NOT_STARTED, S.SUBMITTED),
    (S.SUBMITTED, S.IN_ASSESSMENT),
    (S.IN_ASSESSMENT, S.RECOGNISED),
    (S.IN_ASSESSMENT, S.PARTIALLY_RECOGNISED),
    (S.IN_ASSESSMENT, S.COMPARABILITY_STATEMENT),
    (S.IN_ASSESSMENT, S.NOT_RECOGNISED),
    (S.PARTIALLY_RECOGNISED, S.RECOGNISED),
    (S.PARTIALLY_RECOGNISED, S.NOT_RECOGNISED),
    (S.NOT_RECOGNISED, S.SUBMITTED),
}
REFUSED = [(a, b) for a in RecognitionState for b in RecognitionState if (a, b) not in ALLOWED]


def _qualification(case, actor, state=S.NOT_STARTED, regulated=True):
    qualification = services.add_qualification(
        case, {"title": "Diploma in Nursing", "regulated": regulated, "isced_level": 6}, actor
    )
    qualification.recognition_state = state
    qualification.authority = "Landesamt für Gesundheit"
    db.session.flush()
    return qualification


def test_the_transition_table_is_the_one_of_the_design():
    table = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("from_state", "to_state"), REFUSED)
def test_every_invalid_transition_is_refused_with_a_message(
    app_ctx, make_case, make_user, today, from_state, to_state
):
    case = make_case()
    actor = make_user()
    qualification = _qualification(case, actor, from_state)
    with pytest.raises(RuleBroken) as refused:
        services.move_recognition(
            qualification, to_state, today, actor, measure=MeasureKind.BRIDGING_COURSE
        )
    assert str(from_state.label) in str(refused.value.message)
    assert str(to_state.label) in str(refused.value.message)
    assert qualification.recognition_state == from_state


def test_a_partial_recognition_without_a_compensation_measure_is_refused(
    app_ctx, make_case, make_user, today
):
    case = make_case()
    actor = make_user()
    qualification = _qualification(case, actor, S.IN_ASSESSMENT)
    with pytest.raises(RuleBroken, match="compensation measure"):
        services.move_recognition(qualification, S.PARTIALLY_RECOGNISED, today, actor)
    assert qualification.recognition_state == S.IN_ASSESSMENT


def test_a_comparability_statement_is_not_for_a_regulated_profession(
    app_ctx, make_case, make_user, today
):
    case = make_case()
    actor = make_user()
    regulated = _qualification(case, actor, S.IN_ASSESSMENT, regulated=True)
    with pytest.raises(RuleBroken, match="not regulated"):
        services.move_recognition(regulated, S.COMPARABILITY_STATEMENT, today, actor)
    free = _qualification(case, actor, S.IN_ASSESSMENT, regulated=False)
    services.move_recognition(free, S.COMPARABILITY_STATEMENT, today, actor)
    assert free.recognition_state == S.COMPARABILITY_STATEMENT


def test_a_nurse_goes_from_submitted_through_partial_recognition_to_recognised(
    auth, caseworker, client, make_case, today
):
    case = make_case(caseworker=caseworker)
    page = f"/cases/{case.id}"
    assert (
        auth.post(
            f"/cases/{case.id}/qualifications/new",
            {
                "title": "Diploma in Nursing",
                "eqf_level": "",
                "country": "SY",
                "year": "2014",
                "isced_level": "6",
                "isced_field": "091",
                "regulated": "y",
                "documents_available": "y",
            },
        ).status_code
        == 302
    )
    qualification = db.session.scalar(select(Qualification).where(Qualification.case_id == case.id))
    steps = f"/cases/{case.id}/qualifications/{qualification.id}/steps"

    def step(state, **extra):
        data = {
            "step-to_state": state,
            "step-on": (today - timedelta(days=1)).isoformat(),
            "step-measure": "",
        }
        return auth.post(
            steps, {**data, **{f"step-{k}": v for k, v in extra.items()}}, token_from=page
        )

    assert step("submitted").status_code == 302
    assert step("in_assessment").status_code == 302
    refused = step("partially_recognised", authority="Landesamt")
    assert refused.status_code == 200
    assert "at least one compensation measure" in refused.get_data(as_text=True)
    assert (
        step(
            "partially_recognised",
            authority="Landesamt",
            reference="LA-77",
            measure="bridging_course",
        ).status_code
        == 302
    )
    too_early = step("recognised")
    assert "must be completed" in too_early.get_data(as_text=True)
    db.session.expire_all()
    measure = services.qualifications_of(case)[0].measures[0]
    assert (measure.kind, measure.status) == (MeasureKind.BRIDGING_COURSE, MeasureStatus.PLANNED)
    assert (
        auth.post(
            f"/cases/{case.id}/qualifications/{qualification.id}/measures/{measure.id}",
            {"measure-status": "completed"},
            token_from=page,
        ).status_code
        == 302
    )
    assert step("recognised").status_code == 302
    db.session.expire_all()
    qualification = services.qualifications_of(case)[0]
    assert qualification.recognition_state == S.RECOGNISED
    assert [s.to_state for s in qualification.steps] == [
        S.SUBMITTED,
        S.IN_ASSESSMENT,
        S.PARTIALLY_RECOGNISED,
        S.RECOGNISED,
    ]
    html = client.get(page).get_data(as_text=True)
    assert 'aria-current="step">3. Recognised' in html
    assert "Bridging course – Completed" in html
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == case.id))
    assert list(actions).count("recognition_moved") == 4
