"""Caseworker pages for case files: caseload, registration, the file, and its actions."""

import segno
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from ..audit import record_event
from ..errors import RuleBroken, show_on_form
from ..extensions import db, paginate
from ..i18n import format_number, local_today
from ..security import Role, allow, get_scoped_or_404, menu_item
from ..spreadsheets import ExportFormat
from . import bp, permissions, services, spreadsheets
from .forms import (
    AmendmentForm,
    CaseForm,
    CaseloadFilterForm,
    CloseCaseForm,
    ConsentForm,
    DependantForm,
    HouseholdLinkForm,
    ImportForm,
    NoteForm,
    PortalAccessForm,
    ReassignForm,
    WithdrawConsentForm,
)
from .models import Case, CaseImport, CaseNote, Consent, Dependant, HouseholdLink
from .page import (
    CASELOAD_NOTICES,
    LEFT,
    RIGHT,
    CaseSection,
    add_section,
    added_filter_names,
    back_to,
    caseload_filter_form,
    caseload_narrowing,
    page_form,
    render_case_file,
    submit_section,
)

caseworker_only = allow(Role.CASEWORKER)

menu_item("cases.caseload", _l("Caseload"))
menu_item("cases.register", _l("Register a newcomer"))
menu_item("cases.import_upload", _l("Import"))


def _caseworker_choices(blank_label=None):
    people = [
        (user.id, user.full_name) for user in services.caseworkers_of(current_user.municipality_id)
    ]
    return [("", blank_label or _("Not assigned"))] + people


# -- caseload ---------------------------------------------------------------------------------


# Filters under "More filters and sorting", which opens when one of them is in use.
MORE_FILTERS = ["stage", "residence_category", "nationality", "flag", "permit_expiring"]


def _caseload_filters() -> tuple[CaseloadFilterForm, services.CaseloadFilters]:
    form = caseload_filter_form()(request.args)
    form.caseworker.choices = [("mine", _("My cases")), ("", _("All caseworkers"))] + [
        (str(user_id), name) for user_id, name in _caseworker_choices()[1:]
    ]
    if not form.validate():
        return form, services.CaseloadFilters()  # the errors show next to the filters
    choice = form.caseworker.data or ""
    added = caseload_narrowing(form)
    for caseload_filter, _narrow in added:
        if caseload_filter.audited_as:
            # Listing people by a sensitive fact reveals it as much as opening their files.
            record_event(
                caseload_filter.audited_as,
                actor=current_user,
                changes={"filters": [None, request.query_string.decode()[:500]]},
            )
    filters = services.CaseloadFilters(
        q=form.q.data,
        mine=choice == "mine",
        caseworker_id=int(choice) if choice.isdigit() else None,
        stage=form.stage.data,
        status=form.status.data,
        residence_category=form.residence_category.data,
        nationality=form.nationality.data,
        flag=form.flag.data,
        permit_expiring=bool(form.permit_expiring.data),
        sort=form.sort.data,
        narrowing=tuple(narrow for _filter, narrow in added),
    )
    return form, filters


@bp.route("/")
@caseworker_only
def caseload():
    form, filters = _caseload_filters()
    if filters.flag:
        # Listing people by a sensitive need reveals it as much as opening their files.
        record_event(
            "sensitive_flags_searched", actor=current_user, changes={"flag": [None, filters.flag]}
        )
    page = paginate(*services.caseload_listing(current_user, filters))
    return render_template(
        "cases/caseload.html",
        page=page,
        filters=form,
        added_filters=added_filter_names(),
        more_filters_open=any(
            request.args.get(name) for name in [*MORE_FILTERS, *added_filter_names()]
        ),
        notices=[notice for make in CASELOAD_NOTICES if (notice := make(current_user))],
        permit_alert=services.permit_alert,
        today=local_today(),
    )


@bp.route("/export.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/export.csv", defaults={"fmt": "csv"})
@caseworker_only
def export_caseload(fmt: str):
    _form, filters = _caseload_filters()
    export = spreadsheets.export_caseload(
        services.caseload_query(current_user, filters, eager=False),
        ExportFormat(fmt),
        str(get_locale()),
    )
    record_event(
        "caseload_exported",
        actor=current_user,
        changes={
            "rows": [None, export.rows],
            "format": [None, fmt],
            "filters": [None, request.query_string.decode()[:500]],
        },
    )
    return export.response(f"caseload-{local_today().isoformat()}")


# -- registration and editing -----------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@caseworker_only
def register():
    form = CaseForm()
    form.caseworker_id.choices = _caseworker_choices()
    if request.method == "GET":
        form.caseworker_id.data = current_user.id
        form.preferred_language.data = current_user.municipality.default_locale
    duplicates = []
    if form.validate_on_submit():
        try:
            case = services.register_case(
                form.case_data(), current_user, confirmed_new_person=form.confirm_new_person.data
            )
        except services.PossibleDuplicates as found:
            duplicates = found.cases
        except services.CaseError as error:
            show_on_form(form, error)
        else:
            flash(
                _(
                    "Case file %(reference)s opened for %(name)s.",
                    reference=case.reference,
                    name=case.full_name,
                ),
                "success",
            )
            return redirect(url_for("cases.case_file", case_id=case.id))
    return render_template("cases/form.html", form=form, case=None, duplicates=duplicates)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@caseworker_only
def edit(case_id: int):
    case = _load_case(case_id)
    form = CaseForm(obj=case)
    form.caseworker_id.choices = _caseworker_choices()
    del form.stage, form.confirm_new_person  # the stage moves through the pathway, not here
    if request.method == "GET":
        form.version.data = str(case.version)
    if request.method == "GET":
        form.nationalities.data = [n.country_code for n in case.nationalities]
        form.mother_tongue.data = next(
            (lang.language_code for lang in case.languages if lang.mother_tongue), ""
        )
        form.languages.data = [
            lang.language_code for lang in case.languages if not lang.mother_tongue
        ]
    if form.validate_on_submit():
        data = form.case_data()
        seen_text = str(form.version.data or "")
        seen = int(seen_text) if seen_text.isdigit() else None
        try:
            services.update_case(case, data, current_user, seen_version=seen)
            db.session.flush()  # the version check of the UPDATE itself, for a race in between
        except StaleDataError:
            db.session.rollback()
            flash(
                _("Someone else changed this file at the same moment. Please try again."), "danger"
            )
            return redirect(url_for("cases.edit", case_id=case_id))
        except services.CaseError as error:
            show_on_form(form, error)
            form.version.data = str(case.version)  # saving again now is a deliberate choice
        else:
            flash(_("The case file has been saved."), "success")
            return redirect(url_for("cases.case_file", case_id=case.id))
    return render_template("cases/form.html", form=form, case=case, duplicates=[])


def _load_case(case_id: int) -> Case:
    case = services.load_case_file(case_id, current_user)
    if case is None:
        abort(404)
    return case


# -- the case file ------------------------------------------------------------------------------


def _reassign_form(case: Case) -> ReassignForm:
    form = page_form(ReassignForm, "reassign", formdata=None, caseworker_id=case.caseworker_id)
    form.caseworker_id.choices = _caseworker_choices()
    return form


add_section(
    CaseSection(
        "details",
        _l("Details"),
        "cases/_details.html",
        LEFT,
        10,
        context=lambda case: {"alert": services.permit_alert(case, local_today())},
    )
)
add_section(
    CaseSection(
        "household",
        _l("Household"),
        "cases/_household.html",
        LEFT,
        20,
        forms={
            "link_form": lambda case: page_form(HouseholdLinkForm, "link", formdata=None),
            "dependant_form": lambda case: page_form(DependantForm, "dependant", formdata=None),
        },
        context=lambda case: {
            "household": services.household_of(case, current_user),
            "dependants": services.dependants_of(case),
        },
    )
)
add_section(
    CaseSection(
        "consent",
        _l("Consent"),
        "cases/_consent.html",
        LEFT,
        30,
        forms={
            "consent_form": lambda case: page_form(ConsentForm, "consent", formdata=None),
            "withdraw_form": lambda case: page_form(WithdrawConsentForm, "withdraw", formdata=None),
        },
        context=lambda case: {"consents": services.consent_history(case)},
    )
)
add_section(
    CaseSection(
        "portal",
        _l("Portal access"),
        "cases/_portal.html",
        LEFT,
        40,
        forms={
            "portal_form": lambda case: page_form(
                PortalAccessForm, "portal", formdata=None, email=case.email
            )
        },
    )
)
add_section(
    CaseSection(
        "notes",
        _l("Notes"),
        "cases/_notes.html",
        RIGHT,
        10,
        forms={
            "note_form": lambda case: page_form(NoteForm, "note", formdata=None),
            "amendment_form": lambda case: page_form(AmendmentForm, "amend", formdata=None),
        },
        context=lambda case: {"notes": services.notes_of(case)},
    )
)
add_section(
    CaseSection(
        "actions",
        _l("Assignment and closing"),
        "cases/_actions.html",
        RIGHT,
        20,
        forms={
            "reassign_form": _reassign_form,
            "close_form": lambda case: page_form(CloseCaseForm, "close", formdata=None),
        },
    )
)
add_section(
    CaseSection("timeline", _l("Timeline"), "cases/_timeline.html", RIGHT, 90,
                context=lambda case: {"timeline": services.case_timeline(case)})
)  # fmt: skip


@bp.route("/<int:case_id>")
@caseworker_only
def case_file(case_id: int):
    return render_case_file(_load_case(case_id))


def _owned(model, object_id: int, case: Case):
    """Load a record that hangs off ``case``, or answer 404."""
    found = db.session.get(model, object_id)
    if found is None or found.case_id != case.id:
        abort(404)
    return found


@bp.route("/<int:case_id>/notes", methods=["POST"])
@caseworker_only
def add_note(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "note_form",
        page_form(NoteForm, "note"),
        lambda form: services.add_note(case, form.category.data, form.text.data, current_user),
        _("Note added."),
        "notes",
    )


@bp.route("/<int:case_id>/notes/<int:note_id>/amend", methods=["POST"])
@caseworker_only
def amend_note(case_id: int, note_id: int):
    case = _load_case(case_id)
    original = _owned(CaseNote, note_id, case)
    return submit_section(
        case,
        "amendment_form",
        page_form(AmendmentForm, "amend"),
        lambda form: services.add_note(
            case, original.category, form.text.data, current_user, amends=original
        ),
        _("Correction added. The original note is kept."),
        "notes",
        row=note_id,
    )


@bp.route("/<int:case_id>/household", methods=["POST"])
@caseworker_only
def link_household(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "link_form",
        page_form(HouseholdLinkForm, "link"),
        lambda form: services.link_household_by_reference(
            case, form.reference.data, form.relation.data, current_user
        ),
        _("Files linked."),
        "household",
    )


@bp.route("/<int:case_id>/household/<int:link_id>/remove", methods=["POST"])
@caseworker_only
def unlink_household(case_id: int, link_id: int):
    case = _load_case(case_id)
    services.unlink_household(case, _owned(HouseholdLink, link_id, case), current_user)
    flash(_("Link removed."), "success")
    return back_to(case, "household")


@bp.route("/<int:case_id>/dependants", methods=["POST"])
@caseworker_only
def add_dependant(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "dependant_form",
        page_form(DependantForm, "dependant"),
        lambda form: services.add_dependant(
            case, form.name.data, form.birth_year.data, form.relation.data, current_user
        ),
        _("Family member added."),
        "household",
    )


@bp.route("/<int:case_id>/dependants/<int:dependant_id>/remove", methods=["POST"])
@caseworker_only
def remove_dependant(case_id: int, dependant_id: int):
    case = _load_case(case_id)
    services.remove_dependant(case, _owned(Dependant, dependant_id, case), current_user)
    flash(_("Family member removed."), "success")
    return back_to(case, "household")


@bp.route("/<int:case_id>/consents", methods=["POST"])
@caseworker_only
def record_consent(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "consent_form",
        page_form(ConsentForm, "consent"),
        lambda form: services.record_consent(
            case, form.purpose.data, form.given_on.data, form.method.data, current_user
        ),
        _("Consent recorded."),
        "consent",
    )


@bp.route("/<int:case_id>/consents/<int:consent_id>/withdraw", methods=["POST"])
@caseworker_only
def withdraw_consent(case_id: int, consent_id: int):
    case = _load_case(case_id)
    consent = _owned(Consent, consent_id, case)
    return submit_section(
        case,
        "withdraw_form",
        page_form(WithdrawConsentForm, "withdraw"),
        lambda form: services.withdraw_consent(case, consent, form.withdrawn_on.data, current_user),
        _("Withdrawal recorded."),
        "consent",
        row=consent_id,
    )


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@caseworker_only
def reassign(case_id: int):
    case = _load_case(case_id)
    form = page_form(ReassignForm, "reassign")
    form.caseworker_id.choices = _caseworker_choices()
    return submit_section(
        case,
        "reassign_form",
        form,
        lambda form: services.reassign_case(case, form.caseworker_id.data, current_user),
        _("Caseworker changed."),
        "actions",
    )


@bp.route("/<int:case_id>/close", methods=["POST"])
@caseworker_only
def close(case_id: int):
    case = _load_case(case_id)
    return submit_section(
        case,
        "close_form",
        page_form(CloseCaseForm, "close"),
        lambda form: services.close_case(case, form.reason.data, form.closed_on.data, current_user),
        _("Case closed."),
        "actions",
    )


@bp.route("/<int:case_id>/reopen", methods=["POST"])
@caseworker_only
def reopen(case_id: int):
    case = _load_case(case_id)
    try:
        services.reopen_case(case, current_user)
    except services.CaseError as error:
        flash(error.message, "danger")
    else:
        flash(_("Case reopened."), "success")
    return back_to(case, "actions")


@bp.route("/<int:case_id>/portal-access", methods=["POST"])
@caseworker_only
def open_portal_access(case_id: int):
    case = _load_case(case_id)
    form = page_form(PortalAccessForm, "portal")
    if form.validate_on_submit():
        try:
            account, invitation = services.open_portal_access(case, form.email.data, current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            return _show_letter(case, account, invitation)
    return render_case_file(case, portal_form=form)


@bp.route("/<int:case_id>/portal-access/link", methods=["POST"])
@caseworker_only
def renew_portal_link(case_id: int):
    case = _load_case(case_id)
    if not permissions.can_renew_portal_link(current_user, case):
        abort(404)
    try:
        invitation = services.renew_activation_link(case, case.account, current_user)
    except RuleBroken as error:
        flash(error.message, "danger")
        return back_to(case, "portal")
    return _show_letter(case, case.account, invitation)


def _show_letter(case: Case, account, invitation: services.PortalInvitation):
    """The printable letter that gives the newcomer their access: in their language and, below,
    the municipality's; the link as a QR code to scan and the same access as a code to type.
    Shown once: the link and the code are not kept."""
    flash(_("Portal access for %(name)s is ready.", name=case.full_name), "success")
    link = url_for("auth.activate", token=invitation.token, _external=True)
    context = {
        "case": case,
        "user": account,
        "code": invitation.code,
        "code_page": url_for("auth.enter_code", _external=True),
        "today": local_today(),
    }
    office_locale = current_user.municipality.default_locale
    locales = dict.fromkeys([account.preferred_locale or office_locale, office_locale])
    return render_template(
        "cases/portal_letter.html",
        letters=[_letter_in(locale, context) for locale in locales],
        qr_code=_qr_code(link),
        link=link,
        done_url=url_for("cases.case_file", case_id=case.id, _anchor="portal"),
        **context,
    )


def _letter_in(locale: str, context: dict) -> Markup:
    with force_locale(locale):
        return Markup(render_template("cases/_portal_letter.html", **context))  # noqa: S704


def _qr_code(link: str) -> Markup:
    """The link as a QR code: SVG drawn on the server, sharp in print, no script or image."""
    svg = segno.make(link, error="m").svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr-code", dark="#000", light="#fff"
    )
    return Markup(svg)  # noqa: S704 - segno writes only path data and colours


# -- import from a spreadsheet ----------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@caseworker_only
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            imported = spreadsheets.read_import(
                upload.read(), current_user.municipality.default_locale
            )
        except spreadsheets.ImportFileError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            stored = spreadsheets.store_upload(
                upload.filename or "import.csv", imported, current_user
            )
            return redirect(url_for("cases.import_preview", import_id=stored.id))
    return render_template("cases/import.html", form=form)


@bp.route("/import/template.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/import/template.csv", defaults={"fmt": "csv"})
@caseworker_only
def import_template(fmt: str):
    template = spreadsheets.import_template(ExportFormat(fmt), str(get_locale()))
    return template.response("integrapath-import-template")


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@caseworker_only
def import_preview(import_id: int):
    upload = get_scoped_or_404(CaseImport, import_id)
    if upload.imported_at is not None:
        flash(_("This file has been imported already."), "info")
        return redirect(url_for("cases.caseload"))
    imported = spreadsheets.load_upload(upload)
    # Checked again on every request: a file registered since the preview is seen at confirm.
    results = spreadsheets.check_rows(imported, current_user, CaseForm)
    failed = [result for result in results if not result.ok]
    decisions = _row_decisions(request.form)
    undecided: list[int] = []
    # CSRFProtect has checked the token of the confirming POST before we get here.
    if request.method == "POST" and not failed:
        try:
            cases = spreadsheets.import_cases(upload, results, decisions, current_user)
        except spreadsheets.RowsNeedDecision as error:
            undecided = error.lines
            flash(error.message, "danger")
        except spreadsheets.ImportFileError as error:
            db.session.rollback()
            flash(error.message, "info")
            return redirect(url_for("cases.caseload", caseworker=""))
        else:
            flash(
                _(
                    "%(file)s imported. New case files: %(count)s. Rows skipped: %(skipped)s.",
                    count=format_number(len(cases)),
                    file=upload.filename,
                    skipped=format_number(len(results) - len(cases)),
                ),
                "success",
            )
            return redirect(url_for("cases.caseload", caseworker=""))
    return render_template(
        "cases/import_preview.html",
        upload=upload,
        notices=imported.notices(),
        results=results,
        failed=failed,
        matching=[result for result in results if result.duplicates],
        decisions=decisions,
        undecided=undecided,
    )


def _row_decisions(form) -> dict[int, spreadsheets.RowDecision]:
    """Read the per-row choices (``row-12=skip``) of the import preview."""
    choices = {decision.value: decision for decision in spreadsheets.RowDecision}
    decisions = {}
    for key, value in form.items():
        line = key.removeprefix("row-")
        if key.startswith("row-") and line.isdigit() and value in choices:
            decisions[int(line)] = choices[value]
    return decisions
