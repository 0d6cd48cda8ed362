"""Referrals of a case to partner services: the rules of their status, the case file's section,
who may see and change them, and the referrals without answer on the caseworker's day."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from integrapath.accounts.models import Organisation, OrganisationKind
from integrapath.audit import AuditEvent
from integrapath.cases.models import ClosingReason
from integrapath.cases.services import close_case
from integrapath.extensions import db
from integrapath.pathway import services
from integrapath.pathway.models import (
    PartnerServiceArea,
    PlanAction,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
    ServiceArea,
)
from integrapath.pathway.services import ReferralError
from integrapath.security import Role
from integrapath.volume import VOLUME_PASSWORD, add_cases, seed_volume
from tests.conftest import Auth, csrf_token_from

S = ReferralStatus
# The moves a referral may make (the rules); every other pair is refused.
ALLOWED = {
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.WITHDRAWN),
    (S.ACCEPTED, S.COMPLETED),
    (S.ACCEPTED, S.WITHDRAWN),
}
# How to bring a fresh referral to each status.
PATH_TO = {
    S.SENT: [],
    S.ACCEPTED: [S.ACCEPTED],
    S.DECLINED: [S.DECLINED],
    S.COMPLETED: [S.ACCEPTED, S.COMPLETED],
    S.WITHDRAWN: [S.WITHDRAWN],
}
REASON = "Sleeps on a friend's sofa since the fire; trauma symptoms"


@pytest.fixture
def housing(make_partner, municipality):
    """The municipality's housing office, a partner service."""
    return make_partner(municipality, (ServiceArea.HOUSING,), "Wohnungsamt")


def _refer(case, partner, actor, today, days_ago=0, **kwargs):
    return services.refer_case(
        case, partner, ServiceArea.HOUSING, REASON, actor,
        sent_on=today - timedelta(days=days_ago), **kwargs,
    )  # fmt: skip


# -- rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("from_status", list(S))
def test_a_referral_moves_only_as_the_rules_allow(
    app_ctx, make_case, make_user, housing, today, from_status
):
    actor = make_user(Role.CASEWORKER)
    for to_status in S:
        case = make_case()
        referral = _refer(case, housing, actor, today, days_ago=10)
        for step in PATH_TO[from_status]:
            services.change_referral_status(referral, case, step, today, actor)
        if (from_status, to_status) in ALLOWED:
            services.change_referral_status(referral, case, to_status, today, actor)
            assert referral.status == to_status
        else:
            with pytest.raises(ReferralError) as refused:
                services.change_referral_status(referral, case, to_status, today, actor)
            assert refused.value.field == "to_status"
            assert referral.status == from_status


def test_every_change_is_kept_with_its_day_and_who_recorded_it(
    app_ctx, make_case, make_user, housing, today
):
    actor = make_user(Role.CASEWORKER, full_name="Jonas Weber")
    case = make_case()
    referral = _refer(case, housing, actor, today, days_ago=20)
    services.change_referral_status(referral, case, S.ACCEPTED, today - timedelta(days=12), actor)
    services.change_referral_status(
        referral, case, S.COMPLETED, today - timedelta(days=2), actor, note="Flat found"
    )
    steps = db.session.scalars(
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == referral.id)
        .order_by(ReferralStatusChange.id)
    ).all()
    assert [(s.from_status, s.to_status, (today - s.changed_on).days) for s in steps] == [
        (None, S.SENT, 20),
        (S.SENT, S.ACCEPTED, 12),
        (S.ACCEPTED, S.COMPLETED, 2),
    ]
    assert {s.recorded_by_id for s in steps} == {actor.id}
    assert steps[-1].note == "Flat found"
    assert referral.status_changed_on == today - timedelta(days=2)


def test_a_change_is_not_dated_in_the_future_nor_before_the_last_one(
    app_ctx, make_case, make_user, housing, today
):
    actor = make_user(Role.CASEWORKER)
    case = make_case()
    referral = _refer(case, housing, actor, today, days_ago=5)
    for on in (today + timedelta(days=1), today - timedelta(days=6)):
        with pytest.raises(ReferralError) as refused:
            services.change_referral_status(referral, case, S.ACCEPTED, on, actor)
        assert refused.value.field == "on"
    assert referral.status == S.SENT


def test_the_answer_is_expected_the_municipalitys_days_after_sending_unless_dated(
    app_ctx, make_case, make_user, housing, municipality, today
):
    actor = make_user(Role.CASEWORKER)
    case = make_case()
    assert _refer(case, housing, actor, today, 3).answer_expected_on == today + timedelta(days=11)
    services.set_referral_answer_days(municipality, 7, actor)
    assert _refer(case, housing, actor, today).answer_expected_on == today + timedelta(days=7)
    urgent = _refer(case, housing, actor, today, answer_expected_on=today + timedelta(days=2))
    assert urgent.answer_expected_on == today + timedelta(days=2)
    with pytest.raises(ReferralError) as refused:
        _refer(case, housing, actor, today, answer_expected_on=today - timedelta(days=1))
    assert refused.value.field == "answer_expected_on"
    with pytest.raises(ReferralError) as refused:
        _refer(case, housing, actor, today, days_ago=-1)
    assert refused.value.field == "sent_on"
    with pytest.raises(services.PathwayError):
        services.set_referral_answer_days(municipality, 0, actor)


def test_a_case_goes_only_to_an_active_partner_service_of_its_town_covering_the_area(
    app_ctx, make_case, make_user, make_partner, make_organisation, make_municipality, today,
    municipality, housing,
):  # fmt: skip
    actor = make_user(Role.CASEWORKER)
    case = make_case()
    elsewhere = make_partner(make_municipality(), (ServiceArea.HOUSING,))
    school = make_organisation(municipality)
    services.replace_service_areas(school, [ServiceArea.HOUSING])  # a stray row: still a school
    retired = make_partner(municipality, (ServiceArea.HOUSING,))
    retired.active = False
    lawyers = make_partner(municipality, (ServiceArea.LEGAL_ADVICE,))
    for partner in (elsewhere, school, retired, lawyers):
        with pytest.raises(ReferralError) as refused:
            _refer(case, partner, actor, today)
        assert refused.value.field == "partner"
    with pytest.raises(ReferralError) as refused:
        services.refer_case(case, housing, ServiceArea.HOUSING, "  ", actor, sent_on=today)
    assert refused.value.field == "reason"
    close_case(case, ClosingReason.MOVED_AWAY, today, actor)
    with pytest.raises(ReferralError):
        _refer(case, housing, actor, today)
    assert db.session.scalar(select(func.count(Referral.id))) == 0


# -- the case file ----------------------------------------------------------------------------


def _section(html: str) -> str:
    start = html.index('id="referrals"')
    return html[start : html.index("</section>", start)]


def _refer_form(case, partner, **values):
    return {
        "referral-partner": f"housing:{partner.id}",
        "referral-reason": REASON,
        "referral-sent_on": values.pop("sent_on", ""),
        "referral-answer_expected_on": values.pop("answer_expected_on", ""),
        **values,
    }


def test_a_caseworker_refers_a_case_records_the_answer_and_reads_both_in_the_timeline(
    auth, caseworker, client, make_case, housing, today
):
    case = make_case(caseworker=caseworker)
    sent_on = (today - timedelta(days=3)).isoformat()
    response = auth.post(
        f"/cases/{case.id}/referrals", _refer_form(case, housing, sent_on=sent_on),
        token_from=f"/cases/{case.id}",
    )  # fmt: skip
    assert response.status_code == 302 and response.location.endswith("#referrals")
    referral = db.session.scalar(select(Referral))
    assert (referral.partner_id, referral.status, referral.reason) == (housing.id, S.SENT, REASON)
    assert referral.answer_expected_on == today + timedelta(days=11)
    response = auth.post(
        f"/cases/{case.id}/referrals/{referral.id}/status",
        {"answer-to_status": "accepted", "answer-on": today.isoformat(), "answer-note": ""},
        token_from=f"/cases/{case.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = unescape(_section(page))
    assert "Wohnungsamt" in section and "Accepted by the partner service" in section
    assert REASON in section
    assert "help@partner.example" in section  # whom to call
    timeline = page[page.index('id="timeline"') :]
    assert "Referred to a partner service" in timeline
    assert "Partner service answered a referral" in timeline
    assert "Sent, waiting for an answer" in timeline
    assert "Accepted by the partner service" in timeline
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("referral_%"))
    ).all()
    assert [event.action for event in events] == ["referral_sent", "referral_answered"]
    assert all(REASON not in str(event.changes) for event in events)  # the reason stays out


def test_a_refused_referral_keeps_what_was_typed_with_the_error_beside_its_field(
    auth, caseworker, client, make_case, housing, today
):
    case = make_case(caseworker=caseworker)
    url = f"/cases/{case.id}/referrals"
    no_partner = auth.post(url, _refer_form(case, housing, **{"referral-partner": ""}),
                           token_from=f"/cases/{case.id}")  # fmt: skip
    assert no_partner.status_code == 200
    section = unescape(_section(no_partner.get_data(as_text=True)))
    assert 'id="referral-partner-error"' in section  # beside the field
    assert REASON in section  # the reason is still in its box
    too_early = auth.post(
        url,
        _refer_form(case, housing, sent_on=today.isoformat(),
                    answer_expected_on=(today - timedelta(days=2)).isoformat()),
        token_from=f"/cases/{case.id}",
    )  # fmt: skip
    section = unescape(_section(too_early.get_data(as_text=True)))
    error = re.search(r'id="referral-answer_expected_on-error"[^>]*>([^<]+)', section)
    assert error and "cannot be expected before the referral is sent" in error.group(1)
    assert f'value="housing:{housing.id}" selected' in section or (
        f'selected value="housing:{housing.id}"' in section
    )
    assert REASON in section
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_a_move_the_rules_refuse_shows_under_its_referral_with_the_answer_form_open(
    app, auth, caseworker, client, make_case, housing, today
):
    case = make_case(caseworker=caseworker)
    with app.test_request_context():
        referral = _refer(case, housing, caseworker, today, days_ago=2)
        db.session.commit()
    response = auth.post(
        f"/cases/{case.id}/referrals/{referral.id}/status",
        {"answer-to_status": "completed", "answer-on": today.isoformat(), "answer-note": "Done"},
        token_from=f"/cases/{case.id}",
    )
    assert response.status_code == 200
    section = unescape(_section(response.get_data(as_text=True)))
    assert f'id="answer-to_status-{referral.id}-error"' in section
    assert (
        "A referral that is “Sent, waiting for an answer” cannot become “Completed by the "
        "partner service”." in section
    )
    assert "<details open>" in section and 'value="Done"' in section
    assert db.session.get(Referral, referral.id).status == S.SENT


def test_viewing_the_reasons_is_audited_as_a_view_of_sensitive_needs(
    app, auth, caseworker, client, make_case, housing, today
):
    quiet, referred = make_case(caseworker=caseworker), make_case(caseworker=caseworker)
    with app.test_request_context():
        _refer(referred, housing, caseworker, today)
        db.session.commit()

    def sensitive_views(case):
        return db.session.scalars(
            select(AuditEvent.changes).where(
                AuditEvent.action == "sensitive_flags_viewed", AuditEvent.object_id == case.id
            )
        ).all()

    client.get(f"/cases/{quiet.id}")
    client.get(f"/cases/{referred.id}")
    assert sensitive_views(quiet) == []
    assert sensitive_views(referred) == [{"referral_reasons": [None, 1]}]
    # A view is not something that happened to the file: the timeline leaves it out.
    timeline = client.get(f"/cases/{referred.id}").get_data(as_text=True).split('id="timeline"')[1]
    assert "Sensitive needs viewed" not in timeline


# -- who may see and change referrals ---------------------------------------------------------


def _urls(case, referral) -> list[str]:
    return [f"/cases/{case.id}/referrals", f"/cases/{case.id}/referrals/{referral.id}/status"]


@pytest.mark.parametrize("who", ["provider", "admin", "newcomer", "other municipality"])
def test_everyone_but_the_municipalitys_caseworkers_gets_404(
    app, auth, client, make_user, make_case, make_municipality, housing, today, who
):
    case = make_case()
    with app.test_request_context():
        referral = _refer(case, housing, make_user(Role.CASEWORKER), today)
        db.session.commit()
    if who == "other municipality":
        user = make_user(Role.CASEWORKER, in_municipality=make_municipality())
    elif who == "newcomer":
        user = make_user(Role.MIGRANT)
        case.account_id = user.id  # their own file
        db.session.commit()
    else:
        user = make_user(Role.PROVIDER if who == "provider" else Role.ADMIN)
    auth.login(user)
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    form = {"csrf_token": token, **_refer_form(case, housing), "answer-to_status": "withdrawn",
            "answer-on": today.isoformat()}  # fmt: skip
    for url in _urls(case, referral):
        assert client.post(url, data=form).status_code == 404, url
    assert db.session.get(Referral, referral.id).status == S.SENT
    assert db.session.scalar(select(func.count(Referral.id))) == 1


def test_a_referral_of_another_case_answers_404(auth, caseworker, client, make_case, housing, app,
                                                today):  # fmt: skip
    mine, other = make_case(caseworker=caseworker), make_case(caseworker=caseworker)
    with app.test_request_context():
        referral = _refer(other, housing, caseworker, today)
        db.session.commit()
    response = auth.post(
        f"/cases/{mine.id}/referrals/{referral.id}/status",
        {"answer-to_status": "withdrawn", "answer-on": today.isoformat()},
        token_from=f"/cases/{mine.id}",
    )
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_and_posts_need_the_csrf_token(
    app, client, auth, make_user, make_case, housing, today
):
    case = make_case()
    with app.test_request_context():
        referral = _refer(case, housing, make_user(Role.CASEWORKER), today)
        db.session.commit()
    for url in _urls(case, referral):
        response = client.post(url, data=_refer_form(case, housing))
        assert response.status_code in (302, 400)  # CSRF is checked before sign-in
    auth.login(make_user(Role.CASEWORKER))
    for url in _urls(case, referral):
        assert client.post(url, data=_refer_form(case, housing)).status_code == 400
    assert db.session.scalar(select(func.count(Referral.id))) == 1
    client.post("/logout", data={"csrf_token": auth.token("/account/password")})
    token = auth.token()
    for url in _urls(case, referral):
        response = client.post(url, data={"csrf_token": token, **_refer_form(case, housing)})
        assert response.status_code == 302 and "/login" in response.location


def test_the_reason_is_never_shown_outside_the_caseworkers_file(
    app, auth, client, make_user, make_case, housing, today
):
    from tests.courses.seeds import running_course

    course = running_course(make_user, make_case)
    case = make_case(caseworker=course.caseworker)
    course.enrol(case)
    newcomer = make_user(Role.MIGRANT)
    case.account_id = newcomer.id
    with app.test_request_context():
        referral = _refer(case, housing, course.caseworker, today, days_ago=3)
        services.change_referral_status(referral, case, S.DECLINED, today, course.caseworker,
                                        note="No flat free " + REASON)  # fmt: skip
        db.session.commit()
    teacher = make_user(Role.PROVIDER, organisation_id=course.organisation_id)
    pages = {
        teacher: ["/courses/provider", f"/courses/offerings/{course.offering.id}",
                  f"/courses/sessions/{course.session.id}/attendance",
                  f"/courses/offerings/{course.offering.id}/register", f"/cases/{case.id}"],
        make_user(Role.ADMIN): ["/admin/audit", "/admin/organisations"],
        newcomer: ["/my/"],
    }  # fmt: skip
    for user, paths in pages.items():
        auth.login(user)
        for path in paths:
            html = unescape(client.get(path).get_data(as_text=True))
            assert "Sleeps on a friend" not in html, (user.role, path)
        auth.logout()
    auth.login(course.caseworker)
    assert "Sleeps on a friend" in unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))


# -- the caseworker's day ---------------------------------------------------------------------


def _day_part(client) -> str:
    page = client.get("/today").get_data(as_text=True)
    start = page.index('id="unanswered"')
    return page[start : page.index("</section>", start)]


def test_the_day_lists_referrals_without_answer_after_their_date_most_overdue_first(
    app, auth, caseworker, client, make_case, make_user, housing, today
):
    def referred(family, days_ago, answer=None, caseworker=caseworker):
        case = make_case(caseworker=caseworker, family_name=family)
        with app.test_request_context():
            referral = _refer(case, housing, caseworker, today, days_ago)
            if answer:
                services.change_referral_status(referral, case, answer, today, caseworker)
            db.session.commit()
        return case

    referred("Twentylate", 34)  # expected 14 days after sending: 20 days late
    referred("Threelate", 17)
    referred("Duetoday", 14)  # expected today: not late yet
    referred("Answered", 30, S.ACCEPTED)
    referred("Someoneelses", 40, caseworker=make_user(Role.CASEWORKER))
    closed = referred("Closedfile", 40)
    with app.test_request_context():
        close_case(closed, ClosingReason.MOVED_AWAY, today, caseworker)
        db.session.commit()
    part = _day_part(client)
    assert part.index("Twentylate") < part.index("Threelate")
    for absent in ("Duetoday", "Answered", "Someoneelses", "Closedfile"):
        assert absent not in part
    assert "No answer, 20 days late" in part and "No answer, 3 days late" in part
    assert re.search(r'Referrals without answer <span class="badge[^"]*">2<', part)
    assert "#referrals" in part and "Wohnungsamt" in part


def test_a_referral_is_late_from_midnight_in_the_municipalitys_time_zone(
    app, auth, caseworker, client, make_case, housing, municipality
):
    municipality.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in December
    db.session.commit()
    # 10:59 UTC on 1 December is 23:59 on 1 December in Auckland; a minute later, 2 December.
    before = datetime(2026, 12, 1, 10, 59, tzinfo=UTC)
    after = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    with time_machine.travel(before, tick=False):
        # Signed in at that moment: a session cookie signed later is refused as from the future.
        auth.login(caseworker)
        local_today = municipality.today()
        case = make_case(caseworker=caseworker, family_name="Expectedtoday")
        with app.test_request_context():
            services.refer_case(case, housing, ServiceArea.HOUSING, REASON, caseworker,
                                sent_on=local_today - timedelta(days=14))  # fmt: skip
            db.session.commit()
        assert "Expectedtoday" not in _day_part(client)
        assert "Expectedtoday" not in client.get("/cases/?referral_overdue=y").get_data(
            as_text=True
        )
    with time_machine.travel(after, tick=False):
        part = _day_part(client)
        assert "Expectedtoday" in part and "No answer, 1 day late" in part
        assert "Expectedtoday" in client.get("/cases/?referral_overdue=y").get_data(as_text=True)


def _queries(client, count_queries, path) -> int:
    db.session.connection()  # the test's savepoint is not one of the page's queries
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_day_runs_as_many_queries_with_referrals_of_many_cases_as_of_10(app, count_queries):
    with app.test_request_context():
        town = seed_volume(10)
        db.session.commit()
    client = app.test_client()
    Auth(client).login("caseworker0@volume.example", VOLUME_PASSWORD)
    few = _queries(client, count_queries, "/today")
    few_late = _day_part(client).count("<li")
    with app.test_request_context():
        add_cases(town, range(10, 600))
        db.session.commit()
    many = _queries(client, count_queries, "/today")
    assert many == few
    assert _day_part(client).count("<li") > few_late  # the list did grow


def test_the_case_file_runs_as_many_queries_with_six_referrals_as_with_one(
    app, auth, caseworker, client, make_case, make_partner, municipality, housing, today,
    count_queries,
):  # fmt: skip
    case = make_case(caseworker=caseworker)
    with app.test_request_context():
        _refer(case, housing, caseworker, today, days_ago=30)
        db.session.commit()
    one = _queries(client, count_queries, f"/cases/{case.id}")
    partners = [make_partner(municipality) for _ in range(5)]
    with app.test_request_context():
        for number, partner in enumerate(partners):
            referral = _refer(case, partner, caseworker, today, days_ago=20 + number)
            services.change_referral_status(referral, case, S.ACCEPTED, today, caseworker)
            if number % 2:
                services.change_referral_status(referral, case, S.COMPLETED, today, caseworker)
        db.session.commit()
    six = _queries(client, count_queries, f"/cases/{case.id}")
    assert six == one
    assert _section(client.get(f"/cases/{case.id}").get_data(as_text=True)).count("<article") == 6


def test_the_caseload_lists_the_files_with_a_referral_without_answer(
    app, auth, caseworker, client, make_case, housing, today
):
    late, waiting = make_case(caseworker=caseworker), make_case(caseworker=caseworker)
    with app.test_request_context():
        _refer(late, housing, caseworker, today, days_ago=20)
        _refer(waiting, housing, caseworker, today, days_ago=2)
        db.session.commit()
    page = client.get("/cases/?caseworker=&referral_overdue=y").get_data(as_text=True)
    assert late.reference in page and waiting.reference not in page


# -- partner services, kept by administrators -------------------------------------------------


def test_an_administrator_keeps_a_partner_services_areas_and_contacts(
    auth, client, make_user, make_organisation, municipality
):
    auth.login(make_user(Role.ADMIN))
    form = {"name": "Beratungsstelle Mitte", "kind": "partner_service",
            "contact_email": "mitte@partner.example", "phone": "+49 30 555"}  # fmt: skip
    refused = auth.post("/admin/organisations/new", form)
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "Choose at least one service area this partner service covers." in html
    assert 'value="Beratungsstelle Mitte"' in html  # what was typed stays
    response = auth.post(
        "/admin/organisations/new",
        {**form, "service_areas": ["legal_advice", "psychosocial_support"]},
    )
    assert response.status_code == 302
    partner = db.session.scalar(select(Organisation).where(Organisation.name == form["name"]))
    assert services.service_areas_of(partner) == [
        ServiceArea.PSYCHOSOCIAL_SUPPORT, ServiceArea.LEGAL_ADVICE,
    ]  # fmt: skip
    edit = client.get(f"/admin/organisations/{partner.id}").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="service_areas"[^>]*>', edit)
    assert len(boxes) == len(ServiceArea) and sum("checked" in box for box in boxes) == 2
    auth.post(f"/admin/organisations/{partner.id}", {**form, "service_areas": ["health"]})
    assert services.service_areas_of(partner) == [ServiceArea.HEALTH]
    changed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "organisation_updated")
    )
    assert changed.changes["service_areas"] == ["psychosocial_support legal_advice", "health"]
    listed = unescape(client.get("/admin/organisations").get_data(as_text=True))
    assert "Health" in listed[listed.index("Beratungsstelle Mitte") :]
    audit = unescape(client.get("/admin/audit").get_data(as_text=True))
    assert "Psychosocial support and Legal advice" in audit  # named, not coded
    # A course provider covers no service area, whatever was ticked.
    school = {"name": "Sprachschule", "kind": "course_provider", "service_areas": ["health"]}
    auth.post("/admin/organisations/new", school)
    assert db.session.scalar(select(func.count()).select_from(PartnerServiceArea)) == 1
    school = db.session.scalar(select(Organisation).where(Organisation.name == "Sprachschule"))
    assert school.kind == OrganisationKind.COURSE_PROVIDER


def test_an_administrator_sets_the_days_a_partner_has_to_answer(
    auth, client, make_user, municipality
):
    auth.login(make_user(Role.ADMIN))
    refused = auth.post("/admin/milestones/referral-days", {"referral-referral_answer_days": "0"},
                        token_from="/admin/milestones")  # fmt: skip
    assert refused.status_code == 200
    saved = auth.post("/admin/milestones/referral-days", {"referral-referral_answer_days": "10"},
                      token_from="/admin/milestones")  # fmt: skip
    assert saved.status_code == 302
    assert municipality.referral_answer_days == 10


def test_a_closed_file_takes_no_new_referral_but_still_the_partners_answer(
    app, auth, caseworker, client, make_case, housing, today
):
    case = make_case(caseworker=caseworker)
    with app.test_request_context():
        referral = _refer(case, housing, caseworker, today, days_ago=5)
        close_case(case, ClosingReason.MOVED_AWAY, today, caseworker)
        db.session.commit()
    section = _section(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert f"/cases/{case.id}/referrals/{referral.id}/status" in section
    assert f'action="/cases/{case.id}/referrals"' not in section
    refused = auth.post(f"/cases/{case.id}/referrals", _refer_form(case, housing),
                        token_from=f"/cases/{case.id}")  # fmt: skip
    assert refused.status_code == 404
    answered = auth.post(
        f"/cases/{case.id}/referrals/{referral.id}/status",
        {"answer-to_status": "declined", "answer-on": today.isoformat()},
        token_from=f"/cases/{case.id}",
    )
    assert answered.status_code == 302
    assert db.session.get(Referral, referral.id).status == S.DECLINED


def test_without_partner_services_the_file_says_who_adds_them(auth, caseworker, client, make_case):
    case = make_case(caseworker=caseworker)
    section = _section(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "An administrator adds them under Organisations." in section
    assert 'id="referral-partner"' not in section


def test_a_referral_may_serve_an_open_action_of_the_files_plan_and_says_which(
    app, auth, caseworker, client, make_case, housing, today
):
    from tests.pathway.plans import seeded_plan

    case = make_case(caseworker=caseworker)
    with app.test_request_context():
        ids = seeded_plan(case, caseworker)
    form = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Apply for recognition of the nursing degree" in _section(form)  # offered to choose
    sent = auth.post(f"/cases/{case.id}/referrals",
                     _refer_form(case, housing, sent_on=today.isoformat(),
                                 **{"referral-action": str(ids["action"])}),
                     token_from=f"/cases/{case.id}")  # fmt: skip
    assert sent.status_code == 302
    referral = db.session.scalar(select(Referral).where(Referral.case_id == case.id))
    assert referral.action_id == ids["action"]
    section = _section(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "For the plan action" in section and f"/cases/{case.id}/plan" in section


def test_a_referral_cannot_serve_an_action_of_another_files_plan(
    app_ctx, make_case, make_user, housing, today
):
    from tests.pathway.plans import seeded_plan

    actor = make_user(Role.CASEWORKER)
    case, other = make_case(caseworker=actor), make_case(caseworker=actor)
    foreign = db.session.get(PlanAction, seeded_plan(other, actor)["action"])
    with pytest.raises(ReferralError) as refused:
        _refer(case, housing, actor, today, action=foreign)
    assert refused.value.field == "action"
