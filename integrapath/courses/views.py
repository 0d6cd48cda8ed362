"""Course pages: the provider's home, catalogue, offerings, sessions and attendance; the
caseworker's enrolment (from the offering and from the case file) and attendance alerts."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import spreadsheets as sheets
from ..cases.page import (
    CASELOAD_NOTICES,
    RIGHT,
    CaseSection,
    Notice,
    add_section,
    back_to,
    page_form,
    render_case_file,
)
from ..cases.services import load_case_file
from ..errors import RuleBroken, show_on_form, submit_form
from ..extensions import utcnow
from ..i18n import format_number, local_today
from ..security import Role, allow, get_scoped_or_404, menu_item
from . import bp, permissions, services, spreadsheets
from .forms import (
    AttendanceUploadForm,
    CancelSessionForm,
    CourseForm,
    EnrolCaseForm,
    EnrolForm,
    LeaveForm,
    OfferingDetailsForm,
    OfferingForm,
    ResultForm,
    SessionForm,
)
from .models import (
    AttendanceStatus,
    AttendanceUpload,
    Course,
    CourseSession,
    CourseType,
    Enrolment,
    EnrolmentStatus,
    Offering,
)

provider_only = allow(Role.PROVIDER)
caseworker_only = allow(Role.CASEWORKER)

menu_item("courses.provider_home", _l("My courses"))
menu_item("courses.catalogue", _l("Course catalogue"))
menu_item("courses.offerings", _l("Courses"))
menu_item("courses.alerts", _l("Course alerts"))


def _locale() -> str:
    return str(get_locale())


# -- the provider's home -------------------------------------------------------------------------


@bp.route("/provider")
@provider_only
def provider_home():
    today = local_today()
    return render_template(
        "courses/provider_home.html",
        organisation=current_user.organisation,
        today=today,
        todays_sessions=services.sessions_on(current_user, today),
        offerings=services.offerings_of(current_user, current_on=today),
        locale=_locale(),
    )


# -- catalogue -------------------------------------------------------------------------------


@bp.route("/catalogue")
@allow(Role.PROVIDER, Role.ADMIN)
def catalogue():
    return render_template(
        "courses/catalogue.html", courses=services.courses_of(current_user), locale=_locale()
    )


@bp.route("/catalogue/new", methods=["GET", "POST"])
@bp.route("/catalogue/<int:course_id>", methods=["GET", "POST"])
@allow(Role.PROVIDER, Role.ADMIN)
def edit_course(course_id: int | None = None):
    course = get_scoped_or_404(Course, course_id) if course_id else None
    if course is not None and not permissions.can_manage_course(current_user, course):
        abort(404)
    form = CourseForm(obj=course)
    form.organisation_id.choices = [
        (organisation.id, organisation.name)
        for organisation in services.provider_organisations(current_user)
    ]
    if request.method == "GET":
        locale = request.args.get("locale") or (course.own_locale if course else _locale())
        form.locale.data = locale
        if course is not None:
            text = next((text for text in course.texts if text.locale == locale), None)
            form.title.data = text.title if text else ""
            form.description.data = text.description if text else ""
    if form.validate_on_submit():
        data = services.CourseData(
            values=form.course_values(),
            organisation_id=form.organisation_id.data,
            locale=form.locale.data,
            title=form.title.data,
            description=form.description.data,
        )
        try:
            saved = services.save_course(course, data, current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(_("The course has been saved."), "success")
            return redirect(url_for("courses.catalogue", _anchor=f"course-{saved.id}"))
    return render_template("courses/course_form.html", form=form, course=course)


# -- offerings -------------------------------------------------------------------------------


@bp.route("/catalogue/<int:course_id>/offerings/new", methods=["GET", "POST"])
@provider_only
def new_offering(course_id: int):
    course = get_scoped_or_404(Course, course_id)
    form = OfferingForm()
    if request.method == "GET":
        form.attendance_threshold.data = 80
    if form.validate_on_submit():
        try:
            offering = services.create_offering(course, form.offering_values(), current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(_("The course is scheduled with its sessions."), "success")
            return redirect(url_for("courses.offering", offering_id=offering.id))
    return render_template(
        "courses/offering_form.html", form=form, course=course, offering=None, locale=_locale()
    )


@bp.route("/offerings/<int:offering_id>/edit", methods=["GET", "POST"])
@provider_only
def edit_offering(offering_id: int):
    offering = get_scoped_or_404(Offering, offering_id)
    form = OfferingDetailsForm(obj=offering)
    if request.method == "GET":
        form.instruction_languages.data = offering.languages
    if form.validate_on_submit():
        try:
            services.update_offering(offering, form.offering_values(), current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(_("The course has been saved."), "success")
            return redirect(url_for("courses.offering", offering_id=offering.id))
    return render_template(
        "courses/offering_form.html",
        form=form,
        course=offering.course,
        offering=offering,
        locale=_locale(),
    )


@bp.route("/offerings")
@caseworker_only
def offerings():
    return render_template(
        "courses/offerings.html",
        offerings=services.offerings_of(current_user, current_on=local_today()),
        locale=_locale(),
    )


def _offering_page(offering: Offering, **forms):
    today = local_today()
    register = services.offering_register(offering, today)
    blank = {
        "enrol_form": lambda: EnrolForm(formdata=None),
        "session_form": lambda: SessionForm(formdata=None),
        "leave_form": lambda: LeaveForm(formdata=None, prefix="leave"),
    }
    return render_template(
        "courses/offering.html",
        offering=offering,
        register=register,
        views=services.participants(register.enrolments),
        today=today,
        locale=_locale(),
        failed_row=forms.pop("failed_row", None),
        **{name: forms.get(name) or make() for name, make in blank.items()},
    )


def _load_offering(offering_id: int) -> Offering:
    offering = get_scoped_or_404(Offering, offering_id)
    if current_user.role == Role.PROVIDER and not permissions.can_run_offering(
        current_user, offering
    ):
        abort(404)
    return offering


@bp.route("/offerings/<int:offering_id>")
@allow(Role.PROVIDER, Role.CASEWORKER)
def offering(offering_id: int):
    return _offering_page(_load_offering(offering_id))


def _back(offering: Offering, anchor: str):
    return redirect(url_for("courses.offering", offering_id=offering.id, _anchor=anchor))


def _submit(offering, form_key, form, action, done, anchor, row=None):
    """Run ``action(form)`` for a valid form of the offering page, then go back to it."""
    return submit_form(
        form,
        action,
        done,
        lambda: _back(offering, anchor),
        lambda: _offering_page(offering, failed_row=row, **{form_key: form}),
    )


@bp.route("/offerings/<int:offering_id>/sessions", methods=["POST"])
@provider_only
def add_session(offering_id: int):
    offering = _load_offering(offering_id)
    return _submit(
        offering,
        "session_form",
        SessionForm(),
        lambda form: services.add_session(
            offering, form.date.data, form.starts_at.data, form.ends_at.data, current_user
        ),
        _("Session added."),
        "sessions",
        row="new",
    )


def _own_session(session_id: int) -> CourseSession:
    session = services.load_session(session_id, current_user)
    if session is None:
        abort(404)
    return session


@bp.route("/sessions/<int:session_id>/move", methods=["POST"])
@provider_only
def move_session(session_id: int):
    session = _own_session(session_id)
    return _submit_on_session(
        session,
        "move_form",
        SessionForm(prefix="move"),
        lambda form: services.move_session(
            session, form.date.data, form.starts_at.data, form.ends_at.data, current_user
        ),
        _("Session moved."),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@provider_only
def cancel_session(session_id: int):
    session = _own_session(session_id)
    return _submit_on_session(
        session,
        "cancel_form",
        CancelSessionForm(prefix="cancel"),
        lambda form: services.cancel_session(session, form.reason.data, current_user),
        _("Session cancelled."),
    )


def _submit_on_session(session, form_key, form, action, done):
    return submit_form(
        form,
        action,
        done,
        lambda: redirect(url_for("courses.attendance", session_id=session.id)),
        lambda: _session_page(session, **{form_key: form}),
    )


# -- enrolment -------------------------------------------------------------------------------


@bp.route("/offerings/<int:offering_id>/enrol", methods=["POST"])
@caseworker_only
def enrol(offering_id: int):
    offering = _load_offering(offering_id)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            enrolment = services.enrol_by_reference(offering, form.reference.data, current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            _flash_enrolment(enrolment)
            return _back(offering, "participants")
    return _offering_page(offering, enrol_form=form)


def _flash_enrolment(enrolment: Enrolment) -> None:
    if enrolment.status == EnrolmentStatus.WAITLISTED:
        flash(_("The course is full: the person is on the waiting list."), "warning")
    else:
        flash(_("The person is enrolled."), "success")


def _own_enrolment(enrolment_id: int) -> Enrolment:
    enrolment = get_scoped_or_404(Enrolment, enrolment_id)
    if current_user.role == Role.PROVIDER and not permissions.can_run_offering(
        current_user, enrolment.offering
    ):
        abort(404)
    return enrolment


@bp.route("/enrolments/<int:enrolment_id>/leave", methods=["POST"])
@caseworker_only
def leave(enrolment_id: int):
    enrolment = _own_enrolment(enrolment_id)
    return _submit(
        enrolment.offering,
        "leave_form",
        LeaveForm(prefix="leave"),
        lambda form: services.leave_offering(enrolment, current_user, form.reason.data),
        _("Taken off the course. A freed place goes to the next person waiting."),
        "participants",
        row=enrolment.id,
    )


@bp.route("/enrolments/<int:enrolment_id>/result", methods=["GET", "POST"])
@provider_only
def record_result(enrolment_id: int):
    enrolment = _own_enrolment(enrolment_id)
    form = ResultForm(obj=enrolment)
    if request.method == "GET" and enrolment.passed is not None:
        form.passed.data = "yes" if enrolment.passed else "no"
    if enrolment.offering.course.course_type != CourseType.LANGUAGE:
        del form.level_reached
    return submit_form(
        form,
        lambda form: services.record_result(
            enrolment,
            services.ResultData(
                passed=form.passed.data == "yes",
                level_reached=form.level_reached.data if "level_reached" in form else None,
                certificate_number=form.certificate_number.data,
                certificate_issuer=form.certificate_issuer.data,
                result_on=form.result_on.data,
            ),
            current_user,
        ),
        _("Result saved."),
        lambda: _back(enrolment.offering, "participants"),
        lambda: render_template(
            "courses/result.html",
            form=form,
            enrolment=enrolment,
            view=services.participants([enrolment])[enrolment.id],
            locale=_locale(),
        ),
    )


# -- attendance ------------------------------------------------------------------------------


def _marks_from(form, register) -> dict[int, services.Mark]:
    """Read ``mark-<enrolment>`` and ``reason-<enrolment>``; "all present" marks everyone."""
    if "all_present" in form:
        return {enrolment.id: services.Mark(AttendanceStatus.PRESENT) for enrolment in register}
    marks = {}
    choices = {status.value: status for status in AttendanceStatus}
    for enrolment in register:
        chosen = choices.get(form.get(f"mark-{enrolment.id}", ""))
        if chosen is not None:
            marks[enrolment.id] = services.Mark(chosen, form.get(f"reason-{enrolment.id}"))
    return marks


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@provider_only
def attendance(session_id: int):
    session = _own_session(session_id)
    today = local_today()
    register = services.register_of(session)
    # CSRFProtect has checked the token of a POST before we get here.
    if request.method == "POST" and permissions.can_take_attendance(current_user, session, today):
        marks = _marks_from(request.form, register)
        try:
            services.record_attendance(session, marks, current_user)
        except RuleBroken as error:
            flash(error.message, "danger")
        else:
            missing = len(register) - len(marks)
            flash(_("Attendance saved."), "success")
            if missing:
                flash(
                    ngettext(
                        "%(number)s person is not marked yet.",
                        "%(number)s people are not marked yet.",
                        missing,
                        number=format_number(missing),
                    ),
                    "warning",
                )
            return redirect(url_for("courses.attendance", session_id=session.id))
    return _session_page(session, register)


# How each mark looks on the attendance page: a coloured toggle per choice.
MARK_STYLES = {"present": "success", "late": "primary", "excused": "secondary", "absent": "danger"}


def _session_page(session, register=None, **forms):
    register = services.register_of(session) if register is None else register
    return render_template(
        "courses/attendance.html",
        session=session,
        register=register,
        views=services.participants(register),
        marks=services.marks_of(session),
        choices=[(s.value, str(s.label), MARK_STYLES[s.value]) for s in AttendanceStatus],
        today=local_today(),
        locale=_locale(),
        upload_form=AttendanceUploadForm(formdata=None),
        move_form=forms.get("move_form")
        or SessionForm(formdata=None, prefix="move", obj=session, date=session.date),
        cancel_form=forms.get("cancel_form") or CancelSessionForm(formdata=None, prefix="cancel"),
    )


@bp.route("/sessions/<int:session_id>/upload", methods=["POST"])
@provider_only
def upload_attendance(session_id: int):
    session = _own_session(session_id)
    form = AttendanceUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            table = spreadsheets.read_attendance(
                upload.read(), current_user.municipality.default_locale
            )
        except sheets.SpreadsheetError as error:
            flash(error.message, "danger")
        else:
            stored = spreadsheets.store_upload(
                session, upload.filename or "attendance.csv", table, current_user
            )
            return redirect(url_for("courses.attendance_upload", upload_id=stored.id))
    else:
        flash(_("Choose a file."), "danger")
    return redirect(url_for("courses.attendance", session_id=session.id, _anchor="upload"))


@bp.route("/attendance-uploads/<int:upload_id>", methods=["GET", "POST"])
@provider_only
def attendance_upload(upload_id: int):
    upload = get_scoped_or_404(AttendanceUpload, upload_id)
    session = _own_session(upload.session_id)
    if upload.saved_at is not None:
        flash(_("This file has been saved already."), "info")
        return redirect(url_for("courses.attendance", session_id=session.id))
    rows = spreadsheets.check_upload(upload, session)
    failed = [row for row in rows if row.errors]
    if request.method == "POST" and not failed:
        try:
            services.record_attendance(
                session, {row.enrolment_id: row.mark for row in rows}, current_user
            )
        except RuleBroken as error:
            flash(error.message, "danger")
        else:
            upload.saved_at = utcnow()
            flash(_("Attendance saved."), "success")
            return redirect(url_for("courses.attendance", session_id=session.id))
    return render_template(
        "courses/attendance_upload.html", upload=upload, session=session, rows=rows, failed=failed
    )


# -- the register ------------------------------------------------------------------------------


@bp.route("/offerings/<int:offering_id>/register")
@provider_only
def register_sheet(offering_id: int):
    offering = _load_offering(offering_id)
    today = local_today()
    register = services.offering_register(offering, today)
    return render_template(
        "courses/register.html",
        offering=offering,
        register=register,
        sessions=register.held(today),
        views=services.participants(register.enrolments),
        today=today,
        locale=_locale(),
    )


@bp.route("/offerings/<int:offering_id>/register.csv")
@provider_only
def register_csv(offering_id: int):
    offering = _load_offering(offering_id)
    today = local_today()
    export = spreadsheets.export_register(
        services.offering_register(offering, today), _locale(), today
    )
    return export.response(f"register-{offering.id}-{today.isoformat()}")


# -- the caseworker's side -------------------------------------------------------------------


@bp.route("/alerts")
@caseworker_only
def alerts():
    mine = request.args.get("all") != "1"
    promoted = services.promoted_unseen(current_user)
    page = render_template(
        "courses/alerts.html",
        alerts=services.attendance_alerts(current_user, mine_only=mine),
        promoted=promoted,
        mine=mine,
        locale=_locale(),
    )
    services.mark_promotions_seen(promoted)
    return page


def _promotion_notice(user) -> Notice | None:
    count = len(services.promoted_unseen(user))
    if not count:
        return None
    return Notice(
        ngettext(
            "%(number)s of your people got a place that became free on a course.",
            "%(number)s of your people got places that became free on courses.",
            count,
            number=format_number(count),
        ),
        url_for("courses.alerts"),
        _("See course alerts"),
    )


CASELOAD_NOTICES.append(_promotion_notice)


def _enrol_case_form(case, submitted: bool = False) -> EnrolCaseForm:
    form = page_form(EnrolCaseForm, "enrol", **({} if submitted else {"formdata": None}))
    form.offering_id.choices = [("", _("Choose…"))] + [
        (offering.id, _offering_label(offering))
        for offering in services.enrol_choices(case, current_user)
    ]
    return form


def _offering_label(offering: Offering) -> str:
    return f"{offering.course.text_in(_locale()).title} ({offering.start_date.isoformat()})"


def _case_courses(case) -> dict:
    enrolments = services.enrolments_of_case(case)
    return {
        "enrolments": enrolments,
        "course_rates": services.rates_of(enrolments, local_today()),
        "enrolment_history": services.enrolment_history(enrolments),
        "suggestions": services.suggested_offerings(case, current_user),
        "locale": _locale(),
    }


add_section(
    CaseSection(
        "courses",
        _l("Courses"),
        "courses/_case_section.html",
        RIGHT,
        15,
        forms={"enrol_case_form": _enrol_case_form},
        context=_case_courses,
    )
)


@bp.route("/cases/<int:case_id>/enrol", methods=["POST"])
@caseworker_only
def enrol_case(case_id: int):
    case = load_case_file(case_id, current_user)
    if case is None:
        abort(404)

    form = _enrol_case_form(case, submitted=True)
    if form.validate_on_submit():
        offering = get_scoped_or_404(Offering, form.offering_id.data)
        try:
            enrolment = services.enrol_case(offering, case, current_user)
        except RuleBroken as error:
            show_on_form(form, error)
            if offering.id not in {value for value, _label in form.offering_id.choices}:
                # shown again as chosen, next to why it failed
                form.offering_id.choices.append((offering.id, _offering_label(offering)))
        else:
            _flash_enrolment(enrolment)
            return back_to(case, "courses")
    return render_case_file(case, enrol_case_form=form)
