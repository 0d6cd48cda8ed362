"""The pathway section of the case file (stages, milestones, moving on) and the pages where
administrators keep their municipality's checklists."""

from babel import Locale
from flask import abort, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from ..accounts.models import Municipality
from ..cases.models import Case, Stage
from ..cases.page import (
    CASELOAD_NOTICES,
    LEFT,
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
from ..errors import submit_form
from ..extensions import db
from ..i18n import SUPPORTED_LOCALES, local_digits
from ..security import Role, allow, get_scoped_or_404, menu_item
from . import bp, services
from .forms import (
    AdvanceForm,
    ButtonForm,
    InactivityForm,
    MilestoneForm,
    StageMoveForm,
    TickForm,
)
from .models import Milestone
from .page import DAY_LISTS
from .permissions import can_move_stage

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
    municipality = db.session.get(Municipality, current_user.municipality_id)
    return statement.where(services.ready_condition(municipality))


add_caseload_filter(
    CaseloadFilter(
        fields={"ready": BooleanField(_l("Ready to advance"))},
        narrow=_ready_filter,
    )
)


def _ready_notice(user) -> Notice | None:
    municipality = db.session.get(Municipality, user.municipality_id)
    count = services.count_ready_to_advance(user, services.ready_condition(municipality))
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
        ready=services.ready_cases(current_user, municipality),
        added_lists=[(section, section.rows(current_user)) for section in DAY_LISTS],
        locale=str(get_locale()),
    )


@bp.route("/admin/milestones")
@allow(Role.ADMIN)
def milestones(inactivity_form=None):
    rows = services.milestones_of(current_user.municipality_id, retired=True)
    municipality = db.session.get(Municipality, current_user.municipality_id)
    return render_template(
        "pathway/milestones.html",
        stages=[(stage, [m for m in rows if m.stage == stage]) for stage in Stage],
        inactivity_form=inactivity_form
        or InactivityForm(formdata=None, inactivity_weeks=municipality.inactivity_weeks),
    )


@bp.route("/admin/milestones/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_inactivity():
    municipality = db.session.get(Municipality, current_user.municipality_id)
    form = InactivityForm()
    return submit_form(
        form,
        lambda form: services.set_inactivity_weeks(
            municipality, form.inactivity_weeks.data, current_user
        ),
        _("The setting has been saved."),
        lambda: redirect(url_for("pathway.milestones")),
        lambda: milestones(inactivity_form=form),
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
