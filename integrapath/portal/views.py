"""Pages of the newcomer's portal, and the caseworker's list of messages from newcomers.

Every portal page reads the signed-in newcomer's own file (``services.own_case``): there is no
id in any portal URL, so there is nothing of anyone else to ask for.
"""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..assessments.models import LanguageSkill, MeasureStatus
from ..assessments.reference import isced_field_title, occupation_title
from ..assessments.services import language_levels, profile_of
from ..audit import AuditEvent
from ..errors import submit_form
from ..extensions import SortKey, paginate
from ..i18n import LabelledEnum, format_date, format_datetime, format_list, local_today
from ..inclusion.services import shared_with_newcomer
from ..pathway.page import DayListSection, add_day_list
from ..pathway.services import acknowledge_plan, host_language
from ..security import Reach, Role, allow, get_scoped_or_404, menu_item
from . import bp, services, staff_bp
from .forms import AcknowledgeForm, DoneForm, MessageForm, MyDetailsForm
from .models import NewcomerMessage

menu_item("portal.home", _l("My pathway"))
menu_item("portal.plan", _l("My plan"))
menu_item("portal.courses", _l("My courses"))
menu_item("portal.skills", _l("My skills"))
menu_item("portal.details", _l("My details"))
menu_item("portal.data", _l("My data"))

newcomer_only = allow(Role.MIGRANT)


def _own_case():
    """The signed-in newcomer's file; before it is open, only the home page says so."""
    case = services.own_case(current_user)
    if case is None:
        abort(redirect(url_for("portal.home")))
    return case


@bp.route("/")
@newcomer_only
def home():
    case = services.own_case(current_user)
    if case is None:
        return render_template("portal/home.html", case=None)
    housing, statuses = shared_with_newcomer(case)
    upcoming = services.upcoming_sessions(case, limit=1)
    return render_template(
        "portal/home.html",
        case=case,
        pathway=services.my_pathway(case),
        milestone_hint=services.milestone_hint,
        housing=housing,
        statuses=statuses,
        next_session=upcoming[0] if upcoming else None,
        locale=str(get_locale()),
    )


# -- my plan ---------------------------------------------------------------------------------


def _plan_page(case, form=None):
    plan = services.my_plan(case)
    acknowledged = plan.version.acknowledged_at if plan else None
    return render_template(
        "portal/plan.html",
        case=case,
        plan=plan,
        # The time of the confirmation on the municipality's clock.
        confirmed_at=acknowledged.astimezone(ZoneInfo(case.municipality.timezone))
        if acknowledged
        else None,
        done_by=services.DONE_BY,
        today=case.municipality.today(),
        form=form or AcknowledgeForm(formdata=None),
    )


@bp.route("/plan")
@newcomer_only
def plan():
    return _plan_page(_own_case())


# Every role reaches the view so that staff, like another newcomer, get the 404 of a plan that
# is not theirs rather than a 403 that says it exists.
@bp.route("/plan/<int:version_id>/acknowledge", methods=["POST"])
@allow(
    *Role,
    reach={Role.ADMIN: Reach.NOTHING, Role.CASEWORKER: Reach.NOTHING, Role.PROVIDER: Reach.NOTHING},
)
def acknowledge(version_id: int):
    version = services.own_plan_version(current_user, version_id)
    if version is None:
        abort(404)
    account = current_user._get_current_object()
    form = AcknowledgeForm()
    return submit_form(
        form,
        lambda form: acknowledge_plan(version, account),
        _("Thank you. Your caseworker can see that you confirmed your plan."),
        lambda: redirect(url_for("portal.plan")),
        lambda: _plan_page(_own_case(), form=form),
    )


# -- my courses ------------------------------------------------------------------------------


@bp.route("/courses")
@newcomer_only
def courses():
    case = _own_case()
    mine = services.my_courses(case)
    return render_template(
        "portal/courses.html",
        case=case,
        current=[course for course in mine if course.current],
        past=[course for course in mine if not course.current],
        upcoming=services.upcoming_sessions(case),
        today=case.municipality.today(),
        locale=str(get_locale()),
    )


@bp.route("/courses/calendar.ics")
@newcomer_only
def calendar():
    case = _own_case()
    body = services.calendar_of(case, str(get_locale()), request.host, _("My courses"))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="my-courses.ics"'},
    )


# -- my skills: languages, diplomas, skills profile ----------------------------------------


def _skills_page(case, message_form=None):
    return render_template(
        "portal/skills.html",
        case=case,
        language_levels=language_levels(case, host_language(case.municipality)),
        skills=list(LanguageSkill),
        qualifications=services.qualifications_of(case),
        next_steps=services.NEXT_STEPS,
        measure_done=MeasureStatus.COMPLETED,
        profile=profile_of(case),
        shown_needs=services.SHOWN_NEEDS,
        school_levels=services.SCHOOL_LEVELS,
        occupation_title=occupation_title,
        isced_field_title=isced_field_title,
        messages=services.my_messages(case),
        message_form=message_form or MessageForm(formdata=None),
    )


@bp.route("/skills")
@newcomer_only
def skills():
    return _skills_page(_own_case())


@bp.route("/skills/message", methods=["POST"])
@newcomer_only
def send_message():
    case = _own_case()
    form = MessageForm()
    return submit_form(
        form,
        lambda form: services.send_message(case, form.topic.data, form.text.data, current_user),
        _("Thank you. Your caseworker will read your message."),
        lambda: redirect(url_for("portal.skills", _anchor="message")),
        lambda: _skills_page(case, message_form=form),
    )


# -- my details ------------------------------------------------------------------------------


@bp.route("/details", methods=["GET", "POST"])
@newcomer_only
def details():
    case = _own_case()
    form = MyDetailsForm(obj=case)
    account = current_user._get_current_object()
    return submit_form(
        form,
        lambda form: services.update_my_details(case, account, form.data, account),
        _("Your details are saved. Your caseworker can see the change."),
        lambda: redirect(url_for("portal.details")),
        lambda: render_template("portal/details.html", case=case, form=form),
    )


# -- my data -------------------------------------------------------------------------------

ACCESS_ORDER = (SortKey(AuditEvent.created_at, descending=True),
                SortKey(AuditEvent.id, descending=True))  # fmt: skip


@bp.route("/data")
@newcomer_only
def data():
    case = _own_case()
    return render_template(
        "portal/data.html",
        case=case,
        page=paginate(services.access_log(case), ACCESS_ORDER),
        viewer_of=services.viewer_of,
    )


@bp.route("/data/document")
@newcomer_only
def data_document():
    case = _own_case()
    sections = services.my_data(case, current_user)
    services.record_export(case, current_user, "html")
    return render_template(
        "portal/data_document.html", case=case, sections=sections, shown=_shown, today=local_today()
    )


@bp.route("/data/my-data.json")
@newcomer_only
def data_json():
    case = _own_case()
    sections = services.my_data(case, current_user)
    services.record_export(case, current_user, "json")
    body = json.dumps(services.export_json(sections, case), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{case.reference}.json"'},
    )


def _shown(value) -> str:
    """A value of the export as the readable document writes it."""
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, list):
        return format_list(_shown(item) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, LabelledEnum):
        return str(value.label)
    if isinstance(value, services.Named):
        return value.name
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    if isinstance(value, date):
        return format_date(value, "medium")
    return str(value)


# -- the caseworker's side: messages from newcomers on "My day" -------------------------------


add_day_list(
    DayListSection(
        "messages",
        _l("Messages from newcomers"),
        "portal/_day_messages.html",
        services.open_messages,
    )
)


@staff_bp.route("/<int:message_id>/done", methods=["POST"])
@allow(Role.CASEWORKER)
def message_done(message_id: int):
    message = get_scoped_or_404(NewcomerMessage, message_id)
    return submit_form(
        DoneForm(),
        lambda form: services.mark_message_handled(message, current_user),
        _("The message is marked as dealt with."),
        lambda: redirect(url_for("pathway.my_day", _anchor="messages")),
        lambda: redirect(url_for("pathway.my_day", _anchor="messages")),
    )
