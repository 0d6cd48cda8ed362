"""The pathway section of the case file (stages, milestones, moving on), its referrals to
partner services, the caseworker's day, the pages where administrators keep their
municipality's checklists, and the integration plan's pages."""

from babel import Locale
from flask import abort, redirect, render_template, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from ..accounts.models import Municipality, Organisation
from ..cases.models import Case, Stage
from ..cases.page import (
    CASELOAD_NOTICES,
    LEFT,
    RIGHT,
    CaseloadFilter,
    CaseSection,
    Notice,
    add_caseload_filter,
    add_section,
    page_form,
    submit_section,
)
from ..cases.services import load_case_file
from ..courses import services as courses
from ..courses.models import Offering
from ..errors import submit_form
from ..extensions import db
from ..i18n import (
    SUPPORTED_LOCALES,
    format_date,
    labelled_choices,
    local_digits,
    locale_name,
)
from ..security import Reach, Role, allow, get_scoped_or_404, menu_item
from . import bp, services
from .forms import (
    ActionStatusForm,
    AdvanceForm,
    AgreePlanForm,
    ButtonForm,
    GoalForm,
    InactivityForm,
    MilestoneForm,
    PlanActionForm,
    ReferralDaysForm,
    ReferralForm,
    ReferralStatusForm,
    StageMoveForm,
    TickForm,
)
from .models import (
    ActionStatus,
    Milestone,
    PlanAction,
    PlanGoal,
    Referral,
    ReferralStatus,
    ServiceArea,
)
from .page import DAY_LISTS
from .permissions import (
    can_edit_plan,
    can_move_stage,
    can_record_referral_status,
    can_refer_case,
    can_view_plan,
)

menu_item("pathway.my_day", _l("My day"), first=True)  # where caseworkers land
menu_item("pathway.milestones", _l("Milestones"))


def _next_stage(case: Case) -> Stage:
    stages = list(Stage)
    return stages[min(case.stage.number, len(stages) - 1)]


def _stage_form(case: Case) -> StageMoveForm:
    return page_form(StageMoveForm, "stage", formdata=None, to_stage=_next_stage(case).value)


add_section(
    CaseSection(
        "pathway",
        _l("Pathway"),
        "pathway/_stages.html",
        LEFT,
        5,
        forms={
            "stage_form": _stage_form,
            "tick_form": lambda case: page_form(TickForm, "tick", formdata=None),
            "advance_form": lambda case: page_form(AdvanceForm, "advance", formdata=None),
        },
        context=lambda case: {**services.pathway_of(case), "next_stage": _next_stage(case)},
    )
)


def _ready_filter(statement, values):
    return statement.where(services.ready_to_advance())


add_caseload_filter(
    CaseloadFilter(
        fields={"ready": BooleanField(_l("Ready to advance"))},
        narrow=_ready_filter,
    )
)


def _ready_notice(user) -> Notice | None:
    count = services.count_ready_to_advance(user)
    if not count:
        return None
    return Notice(
        local_digits(
            ngettext(
                "%(num)s of your cases is ready to advance to the next stage.",
                "%(num)s of your cases are ready to advance to the next stage.",
                count,
            )
        ),
        url_for("cases.caseload", ready="y", caseworker="mine"),
        _("See them"),
    )


CASELOAD_NOTICES.append(_ready_notice)


def _movable(case_id: int) -> Case:
    case = load_case_file(case_id, current_user)
    if case is None or not can_move_stage(current_user, case):
        abort(404)
    return case


@bp.route("/cases/<int:case_id>/stage", methods=["POST"])
@allow(Role.CASEWORKER)
def move_stage(case_id: int):
    case = _movable(case_id)
    return submit_section(
        case,
        "stage_form",
        page_form(StageMoveForm, "stage"),
        lambda form: services.move_stage(case, form.to_stage.data, form.reason.data, current_user),
        _("The case moved to another stage."),
        "pathway",
    )


@bp.route("/cases/<int:case_id>/advance", methods=["POST"])
@allow(Role.CASEWORKER)
def advance(case_id: int):
    """Confirm the move of a case ready to advance to the next stage."""
    case = _movable(case_id)
    return submit_section(
        case,
        "advance_form",
        page_form(AdvanceForm, "advance"),
        lambda form: services.move_stage(case, _next_stage(case), None, current_user),
        _("The case moved to another stage."),
        "pathway",
    )


def _case_milestone(case: Case, milestone_id: int) -> Milestone:
    milestone = get_scoped_or_404(Milestone, milestone_id)
    if milestone.municipality_id != case.municipality_id:
        abort(404)
    return milestone


@bp.route("/cases/<int:case_id>/milestones/<int:milestone_id>/tick", methods=["POST"])
@allow(Role.CASEWORKER)
def tick(case_id: int, milestone_id: int):
    case = _movable(case_id)
    milestone = _case_milestone(case, milestone_id)
    return submit_section(
        case,
        "tick_form",
        page_form(TickForm, "tick"),
        lambda form: services.tick_milestone(case, milestone, form.met_on.data, current_user),
        _("Milestone marked as met."),
        "pathway",
        row=milestone.id,
    )


@bp.route("/cases/<int:case_id>/milestones/<int:milestone_id>/untick", methods=["POST"])
@allow(Role.CASEWORKER)
def untick(case_id: int, milestone_id: int):
    case = _movable(case_id)
    milestone = _case_milestone(case, milestone_id)
    return submit_section(
        case,
        "untick_form",
        page_form(ButtonForm, "untick"),
        lambda form: services.untick_milestone(case, milestone, current_user),
        _("The tick was taken back."),
        "pathway",
    )


# -- referrals to partner services ------------------------------------------------------------


def _partner_choices(municipality_id: int) -> dict[str, list[tuple[str, str]]]:
    """The partner services by the areas they cover, in the areas' order, then by name."""
    partners = services.partner_services(municipality_id)
    groups = {
        area.label: [
            (f"{area.value}:{partner.organisation.id}", partner.organisation.name)
            for partner in partners
            if area in partner.areas
        ]
        for area in ServiceArea
    }
    return {label: choices for label, choices in groups.items() if choices}


def _referral_form(case: Case, submitted: bool = False) -> ReferralForm:
    form = page_form(ReferralForm, "referral", **({} if submitted else {"formdata": None}))
    form.partner.choices = _partner_choices(case.municipality_id)
    form.action.choices = [(None, _("None"))] + [
        (action.id, action.text) for action in services.open_plan_actions(case)
    ]
    days = services.municipality_of(case).referral_answer_days
    form.answer_expected_on.description = local_digits(
        ngettext(
            "Leave it empty for %(num)s day after sending.",
            "Leave it empty for %(num)s days after sending.",
            days,
        )
    )
    return form


def _referrals_context(case: Case) -> dict:
    referrals = services.referrals_of(case)
    services.record_reasons_viewed(case, referrals, current_user)
    return {
        "referrals": referrals,
        "referral_moves": {
            referral.id: [(s.value, s.label) for s in services.REFERRAL_MOVES[referral.status]]
            for referral in referrals
        },
        "referrals_today": services.municipality_of(case).today(),
    }


add_section(
    CaseSection(
        "referrals",
        _l("Referrals"),
        "pathway/_referrals.html",
        RIGHT,
        17,
        forms={
            "referral_form": _referral_form,
            "referral_status_form": lambda case: page_form(
                ReferralStatusForm, "answer", formdata=None
            ),
        },
        context=_referrals_context,
    )
)


def _overdue_filter(statement, values):
    today = db.session.get(Municipality, current_user.municipality_id).today()
    return statement.where(services.overdue_referral_condition(today))


add_caseload_filter(
    CaseloadFilter(
        fields={"referral_overdue": BooleanField(_l("Referral without answer after its date"))},
        narrow=_overdue_filter,
    )
)

# Any signed-in role reaches these views, which answer 404 unless the permission holds.
any_role = allow(
    *Role,
    reach={Role.ADMIN: Reach.NOTHING, Role.PROVIDER: Reach.NOTHING, Role.MIGRANT: Reach.NOTHING},
)


def _case_for(case_id: int, permitted) -> Case:
    case = load_case_file(case_id, current_user)
    if case is None or not permitted(current_user, case):
        abort(404)
    return case


@bp.route("/cases/<int:case_id>/referrals", methods=["POST"])
@any_role
def refer(case_id: int):
    case = _case_for(case_id, can_refer_case)

    def send(form):
        area, partner_id = form.chosen()
        services.refer_case(
            case,
            get_scoped_or_404(Organisation, partner_id),
            ServiceArea(area),
            form.reason.data,
            current_user,
            sent_on=form.sent_on.data,
            answer_expected_on=form.answer_expected_on.data,
            action=db.session.get(PlanAction, form.action.data) if form.action.data else None,
        )

    return submit_section(
        case,
        "referral_form",
        _referral_form(case, submitted=True),
        send,
        _("The referral has been recorded."),
        "referrals",
    )


@bp.route("/cases/<int:case_id>/referrals/<int:referral_id>/status", methods=["POST"])
@any_role
def record_referral_status(case_id: int, referral_id: int):
    case = _case_for(case_id, can_record_referral_status)
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.case_id != case.id:
        abort(404)
    return submit_section(
        case,
        "referral_status_form",
        page_form(ReferralStatusForm, "answer"),
        lambda form: services.change_referral_status(
            referral,
            case,
            ReferralStatus(form.to_status.data),
            form.on.data,
            current_user,
            form.note.data,
        ),
        _("The referral's new status has been recorded."),
        "referrals",
        row=referral.id,
    )


@bp.route("/admin/milestones/referral-days", methods=["POST"])
@allow(Role.ADMIN)
def save_referral_days():
    return _save_setting(
        ReferralDaysForm(prefix="referral"),
        lambda town, form: services.set_referral_answer_days(
            town, form.referral_answer_days.data, current_user
        ),
        "referral_days_form",
    )


# -- end of referrals -------------------------------------------------------------------------


# -- the checklists, kept by administrators ---------------------------------------------------


@bp.route("/today")
@allow(Role.CASEWORKER)
def my_day():
    """What needs the caseworker's attention today, most urgent first, each with its count."""
    municipality = db.session.get(Municipality, current_user.municipality_id)
    today = municipality.today()
    alerts = courses.attendance_alerts(current_user)
    return render_template(
        "pathway/my_day.html",
        today=today,
        weeks=municipality.inactivity_weeks,
        behind=services.DayList(alerts[: services.DAY_LIMIT], len(alerts)),
        permits=services.permits_expiring(current_user, today),
        inactive=services.inactive_cases(current_user, municipality.inactivity_weeks),
        ready=services.ready_cases(current_user),
        overdue=services.overdue_actions(current_user, today),
        unanswered=services.referrals_without_answer(current_user, today),
        added_lists=[(section, section.rows(current_user)) for section in DAY_LISTS],
        locale=str(get_locale()),
    )


@bp.route("/admin/milestones")
@allow(Role.ADMIN)
def milestones(inactivity_form=None, referral_days_form=None):
    rows = services.milestones_of(current_user.municipality_id, retired=True)
    municipality = db.session.get(Municipality, current_user.municipality_id)
    return render_template(
        "pathway/milestones.html",
        stages=[(stage, [m for m in rows if m.stage == stage]) for stage in Stage],
        inactivity_form=inactivity_form
        or InactivityForm(formdata=None, inactivity_weeks=municipality.inactivity_weeks),
        referral_days_form=referral_days_form
        or ReferralDaysForm(
            formdata=None, prefix="referral", referral_answer_days=municipality.referral_answer_days
        ),
    )


@bp.route("/admin/milestones/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_inactivity():
    return _save_setting(
        InactivityForm(),
        lambda town, form: services.set_inactivity_weeks(
            town, form.inactivity_weeks.data, current_user
        ),
        "inactivity_form",
    )


def _save_setting(form, save, form_name: str):
    """Save one of the municipality's settings on the milestones page, or show it refused."""
    municipality = db.session.get(Municipality, current_user.municipality_id)
    return submit_form(
        form,
        lambda form: save(municipality, form),
        _("The setting has been saved."),
        lambda: redirect(url_for("pathway.milestones")),
        lambda: milestones(**{form_name: form}),
    )


@bp.route("/admin/milestones/new", methods=["GET", "POST"], defaults={"milestone_id": None})
@bp.route("/admin/milestones/<int:milestone_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_milestone(milestone_id: int | None):
    milestone = get_scoped_or_404(Milestone, milestone_id) if milestone_id else None
    form = MilestoneForm(obj=milestone)
    if milestone is not None:
        del form.stage, form.rule  # a milestone keeps its stage and its rule
        if not form.is_submitted():
            for code, name in milestone.names.items():
                if f"name_{code}" in form:
                    form[f"name_{code}"].data = name
    municipality = db.session.get(Municipality, current_user.municipality_id)

    def save(form):
        if milestone is None:
            services.add_milestone(
                municipality,
                Stage(form.stage.data),
                form.rule.data,
                form.names(),
                form.required.data,
                current_user,
            )
        else:
            services.update_milestone(milestone, form.names(), form.required.data, current_user)

    return submit_form(
        form,
        save,
        _("The milestone has been saved."),
        lambda: redirect(url_for("pathway.milestones")),
        lambda: render_template(
            "pathway/milestone_form.html",
            form=form,
            milestone=milestone,
            locales=[(code, Locale.parse(code).text_direction) for code in SUPPORTED_LOCALES],
        ),
    )


def _milestone_action(milestone_id: int, action, done: str):
    milestone = get_scoped_or_404(Milestone, milestone_id)
    return submit_form(
        ButtonForm(),
        lambda form: action(milestone),
        done,
        lambda: redirect(url_for("pathway.milestones", _anchor=f"stage-{milestone.stage.value}")),
        lambda: redirect(url_for("pathway.milestones")),
    )


@bp.route("/admin/milestones/<int:milestone_id>/up", methods=["POST"])
@allow(Role.ADMIN)
def move_up(milestone_id: int):
    return _milestone_action(
        milestone_id,
        lambda m: services.move_milestone(m, -1, current_user),
        _("The order has been saved."),
    )


@bp.route("/admin/milestones/<int:milestone_id>/down", methods=["POST"])
@allow(Role.ADMIN)
def move_down(milestone_id: int):
    return _milestone_action(
        milestone_id,
        lambda m: services.move_milestone(m, 1, current_user),
        _("The order has been saved."),
    )


@bp.route("/admin/milestones/<int:milestone_id>/retire", methods=["POST"])
@allow(Role.ADMIN)
def retire(milestone_id: int):
    return _milestone_action(
        milestone_id,
        lambda m: services.retire_milestone(m, current_user),
        _("The milestone has been retired."),
    )


# -- the integration plan ---------------------------------------------------------------------

# Any signed-in role reaches these views, which answer 404 unless the permission holds: a
# 403 would tell a provider or a newcomer that the file exists (the newcomer reads their plan
# in the portal).
plan_staff = allow(
    *Role,
    reach={Role.ADMIN: Reach.NOTHING, Role.PROVIDER: Reach.NOTHING, Role.MIGRANT: Reach.NOTHING},
)


def _plan_case(case_id: int, *, edit: bool = False) -> Case:
    case = load_case_file(case_id, current_user)
    allowed = can_edit_plan if edit else can_view_plan
    if case is None or not allowed(current_user, case):
        abort(404)
    return case


def _plan_today():
    """Today in the municipality: what is overdue goes by its calendar, not the server's."""
    return current_user.municipality.today()


add_section(
    CaseSection(
        "plan",
        _l("Integration plan"),
        "pathway/_plan.html",
        LEFT,
        6,
        context=lambda case: {"plan_state": services.plan_state(case), "plan_today": _plan_today()},
    )
)


def _plan_row(model, row_id: int, case: Case):
    """A goal or action of the case's plan, or 404."""
    found = db.session.get(model, row_id)
    plan = services.plan_of(case)
    if found is None or plan is None or found.plan_id != plan.id:
        abort(404)
    return found


def _render_plan(case: Case, *, failed_action: int | None = None, **forms):
    state = services.plan_state(case)
    services.record_plan_view(case, current_user)
    return render_template(
        "pathway/plan.html",
        case=case,
        state=state,
        links=services.links_of(state.goals),
        today=_plan_today(),
        locale=str(get_locale()),
        goal_form=forms.get("goal_form") or GoalForm(formdata=None, prefix="goal"),
        agree_form=forms.get("agree_form") or AgreePlanForm(formdata=None, prefix="agree"),
        status_form=forms.get("status_form"),
        failed_action=failed_action,
        status_choices=labelled_choices(ActionStatus),
        languages=" · ".join(name for _code, _direction, name in _print_columns(case)),
    )


def _back_to_plan(case: Case, anchor: str | None = None):
    return redirect(url_for("pathway.plan", case_id=case.id, _anchor=anchor))


@bp.route("/cases/<int:case_id>/plan")
@plan_staff
def plan(case_id: int):
    """The plan of a case: its goals and actions, agreeing it, and its versions."""
    return _render_plan(_plan_case(case_id))


@bp.route("/cases/<int:case_id>/plan/goals", methods=["POST"])
@plan_staff
def add_goal(case_id: int):
    case = _plan_case(case_id, edit=True)
    form = GoalForm(prefix="goal")
    return submit_form(
        form,
        lambda form: services.add_goal(case, form.text.data, current_user),
        _("The goal has been added."),
        lambda: _back_to_plan(case, "goals"),
        lambda: _render_plan(case, goal_form=form),
    )


@bp.route("/cases/<int:case_id>/plan/goals/<int:goal_id>", methods=["GET", "POST"])
@plan_staff
def edit_goal(case_id: int, goal_id: int):
    case = _plan_case(case_id, edit=True)
    goal = _plan_row(PlanGoal, goal_id, case)
    form = GoalForm(obj=goal)
    return submit_form(
        form,
        lambda form: services.change_goal(case, goal, form.text.data, current_user),
        _("The goal has been saved."),
        lambda: _back_to_plan(case, f"goal-{goal.id}"),
        lambda: render_template(
            "pathway/plan_goal_form.html",
            case=case,
            goal=goal,
            form=form,
            agreed=services.has_agreed_version(case),
        ),
    )


@bp.route("/cases/<int:case_id>/plan/goals/<int:goal_id>/cancel", methods=["POST"])
@plan_staff
def cancel_goal(case_id: int, goal_id: int):
    case = _plan_case(case_id, edit=True)
    goal = _plan_row(PlanGoal, goal_id, case)
    return submit_form(
        ButtonForm(),
        lambda form: services.cancel_goal(case, goal, current_user),
        _("The goal has been cancelled, with its actions not done yet."),
        lambda: _back_to_plan(case, f"goal-{goal.id}"),
        lambda: _back_to_plan(case, f"goal-{goal.id}"),
    )


def _action_form(case: Case, action: PlanAction | None) -> PlanActionForm:
    """The action form, offering the course runs that have not ended and the milestones of
    the municipality (and whatever the action links to already)."""
    form = PlanActionForm(obj=action)
    locale = str(get_locale())
    offerings = courses.offerings_of(current_user, current_on=_plan_today())
    if action is not None and action.offering_id not in {None, *(o.id for o in offerings)}:
        offerings.append(db.session.get(Offering, action.offering_id))
    form.offering_id.choices = [("", _("No course run"))] + [
        (o.id, f"{o.course.text_in(locale).title} ({format_date(o.start_date, 'medium')})")
        for o in offerings
    ]
    linked = action.milestone_id if action is not None else None
    form.milestone_id.choices = [("", _("No milestone"))] + [
        (m.id, f"{m.stage.label}: {m.name}")
        for m in services.milestones_of(case.municipality_id, retired=True)
        if m.retired_at is None or m.id == linked
    ]
    return form


@bp.route(
    "/cases/<int:case_id>/plan/goals/<int:goal_id>/actions/new",
    methods=["GET", "POST"],
    defaults={"action_id": None},
)
@bp.route(
    "/cases/<int:case_id>/plan/actions/<int:action_id>",
    methods=["GET", "POST"],
    defaults={"goal_id": None},
)
@plan_staff
def edit_action(case_id: int, goal_id: int | None, action_id: int | None):
    case = _plan_case(case_id, edit=True)
    action = _plan_row(PlanAction, action_id, case) if action_id else None
    goal = _plan_row(PlanGoal, goal_id or action.goal_id, case)
    form = _action_form(case, action)

    def save(form):
        if action is None:
            services.add_action(case, goal, form.action_data(), current_user)
        else:
            services.change_action(case, action, form.action_data(), current_user)

    return submit_form(
        form,
        save,
        _("The action has been saved."),
        lambda: _back_to_plan(case, f"goal-{goal.id}"),
        lambda: render_template(
            "pathway/plan_action_form.html",
            case=case,
            goal=goal,
            action=action,
            form=form,
            agreed=services.has_agreed_version(case),
        ),
    )


@bp.route("/cases/<int:case_id>/plan/actions/<int:action_id>/status", methods=["POST"])
@plan_staff
def action_status(case_id: int, action_id: int):
    case = _plan_case(case_id, edit=True)
    action = _plan_row(PlanAction, action_id, case)
    form = ActionStatusForm(prefix="status")
    return submit_form(
        form,
        lambda form: services.set_action_status(case, action, form.status.data, current_user),
        _("The status has been saved."),
        lambda: _back_to_plan(case, f"action-{action.id}"),
        lambda: _render_plan(case, status_form=form, failed_action=action.id),
    )


@bp.route("/cases/<int:case_id>/plan/agree", methods=["POST"])
@plan_staff
def agree(case_id: int):
    """Record that both sides agreed the plan as it stands: its next version."""
    case = _plan_case(case_id, edit=True)
    form = AgreePlanForm(prefix="agree")
    return submit_form(
        form,
        lambda form: services.agree_plan(case, form.agreed_on.data, current_user),
        _("The agreement has been recorded as a new version of the plan."),
        lambda: _back_to_plan(case, "versions"),
        lambda: _render_plan(case, agree_form=form),
    )


@bp.route("/cases/<int:case_id>/plan/versions/<int:number>")
@plan_staff
def plan_version(case_id: int, number: int):
    """An agreed version, exactly as it was agreed."""
    case = _plan_case(case_id)
    state = services.plan_state(case)
    version = services.version_of(state, number)
    if version is None:
        abort(404)
    goals = services.version_goals(version)
    services.record_plan_view(case, current_user)
    return render_template(
        "pathway/plan_version.html",
        case=case,
        state=state,
        version=version,
        goals=goals,
        links=services.links_of(goals),
        locale=str(get_locale()),
    )


def _print_columns(case: Case) -> list[tuple[str, str, str]]:
    """The languages of the printed plan, with their direction and own name: the
    municipality's, and the newcomer's beside it when it is another."""
    codes = dict.fromkeys([current_user.municipality.default_locale, case.preferred_language])
    return [(code, Locale.parse(code).text_direction, locale_name(code)) for code in codes]


def _in_locale(code: str, macro, *args):
    """Render a template macro as a reader of ``code`` sees it: labels, dates and digits in
    that language (what people typed stays as they typed it)."""
    with force_locale(code):
        return macro(*args)


@bp.route("/cases/<int:case_id>/plan/print", defaults={"number": None})
@bp.route("/cases/<int:case_id>/plan/versions/<int:number>/print")
@plan_staff
def print_plan(case_id: int, number: int | None):
    """The plan to print and sign, in both languages side by side: an agreed version, or the
    working copy while it holds changes not agreed yet."""
    case = _plan_case(case_id)
    state = services.plan_state(case)
    version = services.version_of(state, number) if number else None
    if number and version is None:
        abort(404)
    if number is None and not state.unagreed:
        if state.latest is None:
            abort(404)  # nothing to print yet
        return redirect(url_for("pathway.print_plan", case_id=case.id, number=state.latest.number))
    goals = services.version_goals(version) if version else state.goals
    services.record_plan_view(case, current_user)
    return render_template(
        "pathway/plan_print.html",
        case=case,
        state=state,
        version=version,
        goals=goals,
        links=services.links_of(goals),
        municipality=current_user.municipality,
        columns=_print_columns(case),
        in_locale=_in_locale,
    )
