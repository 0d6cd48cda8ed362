"""Caseworker pages for case files: caseload, registration, the file, and its actions."""

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..audit import record_event
from ..errors import RuleBroken, show_on_form
from ..extensions import db, paginate
from ..i18n import local_today
from ..portal import services as portal_services
from ..security import Role, allow, get_scoped_or_404
from . import bp, services, spreadsheets
from .forms import (
    AmendmentForm,
    CaseForm,
    CaseloadFilterForm,
    CloseCaseForm,
    ConsentForm,
    DeclineTransferForm,
    DependantForm,
    HouseholdLinkForm,
    ImportForm,
    NoteForm,
    PortalAccessForm,
    ReassignForm,
    TransferForm,
    WithdrawConsentForm,
)
from .models import Case, CaseImport, CaseNote, CaseTransfer, Consent, Dependant, HouseholdLink

caseworker_only = allow(Role.CASEWORKER)


def _page_form(form_class, prefix: str, **kwargs):
    """A form of the case page. Prefixes keep field ids unique among the page's forms;
    CSRFProtect checks the page's one token on every POST, so the form does not again."""
    return form_class(prefix=prefix, meta={"csrf": False}, **kwargs)


def _caseworker_choices(blank_label=None):
    people = [
        (user.id, user.full_name) for user in services.caseworkers_of(current_user.municipality_id)
    ]
    return [("", blank_label or _("Not assigned"))] + people


# -- caseload ---------------------------------------------------------------------------------


def _caseload_filters() -> tuple[CaseloadFilterForm, services.CaseloadFilters]:
    form = CaseloadFilterForm(request.args)
    form.caseworker.choices = [("mine", _("My cases")), ("", _("All caseworkers"))] + [
        (str(user_id), name) for user_id, name in _caseworker_choices()[1:]
    ]
    if not form.validate():
        return form, services.CaseloadFilters()  # the errors show next to the filters
    choice = form.caseworker.data or ""
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
    page = paginate(
        services.caseload_query(current_user, filters), services.caseload_order(filters)
    )
    return render_template(
        "cases/caseload.html",
        page=page,
        filters=form,
        incoming=services.count_incoming_transfers(current_user),
        permit_alert=services.permit_alert,
        today=local_today(),
    )


@bp.route("/export.csv")
@caseworker_only
def export_caseload():
    _form, filters = _caseload_filters()
    text, count = spreadsheets.export_csv(
        services.caseload_query(current_user, filters, eager=False)
    )
    record_event(
        "caseload_exported",
        actor=current_user,
        changes={"rows": [None, count], "filters": [None, request.query_string.decode()[:500]]},
    )
    filename = f"caseload-{local_today().isoformat()}.csv"
    return Response(
        text,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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


def _transfer_choices(case: Case) -> list[tuple]:
    return [("", _("Choose…"))] + [(m.id, m.name) for m in services.transfer_targets(case)]


# -- the case file ------------------------------------------------------------------------------


def _render_case_file(case: Case, status: int = 200, **forms):
    """Render the case page; ``forms`` replaces a section's empty form by one with errors."""
    reassign = _page_form(ReassignForm, "reassign", formdata=None, caseworker_id=case.caseworker_id)
    reassign.caseworker_id.choices = _caseworker_choices()
    transfer = _page_form(TransferForm, "transfer", formdata=None)
    transfer.to_municipality_id.choices = _transfer_choices(case)
    context = {
        "note_form": _page_form(NoteForm, "note", formdata=None),
        "amendment_form": _page_form(AmendmentForm, "amend", formdata=None),
        "link_form": _page_form(HouseholdLinkForm, "link", formdata=None),
        "dependant_form": _page_form(DependantForm, "dependant", formdata=None),
        "consent_form": _page_form(ConsentForm, "consent", formdata=None),
        "withdraw_form": _page_form(WithdrawConsentForm, "withdraw", formdata=None),
        "reassign_form": reassign,
        "transfer_form": transfer,
        "close_form": _page_form(CloseCaseForm, "close", formdata=None),
        "portal_form": _page_form(PortalAccessForm, "portal", formdata=None, email=case.email),
        **forms,
    }
    services.record_case_view(case, current_user)
    return (
        render_template(
            "cases/case_file.html",
            case=case,
            alert=services.permit_alert(case, local_today()),
            notes=services.notes_of(case),
            household=services.household_of(case, current_user),
            dependants=services.dependants_of(case),
            consents=services.consent_history(case),
            transfer=services.pending_transfer(case),
            timeline=services.case_timeline(case),
            **context,
        ),
        status,
    )


@bp.route("/<int:case_id>")
@caseworker_only
def case_file(case_id: int):
    return _render_case_file(_load_case(case_id))


def _back_to(case: Case, section: str):
    return redirect(url_for("cases.case_file", case_id=case.id, _anchor=section))


def _submit_section(case: Case, form_key: str, form, action, done: str, section: str):
    """Run ``action(form)`` for a valid form of the case page, then go back to its section.

    Invalid input or a broken rule shows the page again, with the errors next to the fields
    and what was typed still in them.
    """
    if form.validate_on_submit():
        try:
            action(form)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(done, "success")
            return _back_to(case, section)
    return _render_case_file(case, **{form_key: form})


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
    return _submit_section(
        case,
        "note_form",
        _page_form(NoteForm, "note"),
        lambda form: services.add_note(case, form.category.data, form.text.data, current_user),
        _("Note added."),
        "notes",
    )


@bp.route("/<int:case_id>/notes/<int:note_id>/amend", methods=["POST"])
@caseworker_only
def amend_note(case_id: int, note_id: int):
    case = _load_case(case_id)
    original = _owned(CaseNote, note_id, case)
    form = _page_form(AmendmentForm, "amend")
    form.note_id = note_id  # errors show under this note
    return _submit_section(
        case,
        "amendment_form",
        form,
        lambda form: services.add_note(
            case, original.category, form.text.data, current_user, amends=original
        ),
        _("Correction added. The original note is kept."),
        "notes",
    )


@bp.route("/<int:case_id>/household", methods=["POST"])
@caseworker_only
def link_household(case_id: int):
    case = _load_case(case_id)
    return _submit_section(
        case,
        "link_form",
        _page_form(HouseholdLinkForm, "link"),
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
    return _back_to(case, "household")


@bp.route("/<int:case_id>/dependants", methods=["POST"])
@caseworker_only
def add_dependant(case_id: int):
    case = _load_case(case_id)
    return _submit_section(
        case,
        "dependant_form",
        _page_form(DependantForm, "dependant"),
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
    return _back_to(case, "household")


@bp.route("/<int:case_id>/consents", methods=["POST"])
@caseworker_only
def record_consent(case_id: int):
    case = _load_case(case_id)
    return _submit_section(
        case,
        "consent_form",
        _page_form(ConsentForm, "consent"),
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
    form = _page_form(WithdrawConsentForm, "withdraw")
    form.consent_id = consent_id  # errors show under this consent
    return _submit_section(
        case,
        "withdraw_form",
        form,
        lambda form: services.withdraw_consent(case, consent, form.withdrawn_on.data, current_user),
        _("Withdrawal recorded."),
        "consent",
    )


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@caseworker_only
def reassign(case_id: int):
    case = _load_case(case_id)
    form = _page_form(ReassignForm, "reassign")
    form.caseworker_id.choices = _caseworker_choices()
    return _submit_section(
        case,
        "reassign_form",
        form,
        lambda form: services.reassign_case(case, form.caseworker_id.data, current_user),
        _("Caseworker changed."),
        "actions",
    )


@bp.route("/<int:case_id>/transfer", methods=["POST"])
@caseworker_only
def request_transfer(case_id: int):
    case = _load_case(case_id)
    form = _page_form(TransferForm, "transfer")
    form.to_municipality_id.choices = _transfer_choices(case)
    return _submit_section(
        case,
        "transfer_form",
        form,
        lambda form: services.request_transfer(
            case, form.to_municipality_id.data, form.reason.data, current_user
        ),
        _("Transfer requested. The case stays here until the other municipality accepts."),
        "actions",
    )


@bp.route("/<int:case_id>/close", methods=["POST"])
@caseworker_only
def close(case_id: int):
    case = _load_case(case_id)
    return _submit_section(
        case,
        "close_form",
        _page_form(CloseCaseForm, "close"),
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
    return _back_to(case, "actions")


@bp.route("/<int:case_id>/portal-access", methods=["POST"])
@caseworker_only
def open_portal_access(case_id: int):
    case = _load_case(case_id)
    form = _page_form(PortalAccessForm, "portal")
    if form.validate_on_submit():
        try:
            account, token = portal_services.open_portal_access(case, form.email.data, current_user)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            return _show_activation_link(case, account, token)
    return _render_case_file(case, portal_form=form)


@bp.route("/<int:case_id>/portal-access/link", methods=["POST"])
@caseworker_only
def renew_portal_link(case_id: int):
    case = _load_case(case_id)
    if case.account is None:
        abort(404)
    try:
        token = portal_services.renew_activation_link(case, case.account, current_user)
    except RuleBroken as error:
        flash(error.message, "danger")
        return _back_to(case, "portal")
    return _show_activation_link(case, case.account, token)


def _show_activation_link(case: Case, account, token: str):
    flash(_("Portal access for %(name)s is ready.", name=case.full_name), "success")
    return render_template(
        "admin/activation_link.html",
        user=account,
        link=url_for("auth.activate", token=token, _external=True),
        done_url=url_for("cases.case_file", case_id=case.id, _anchor="portal"),
    )


# -- transfers ------------------------------------------------------------------------------------


@bp.route("/transfers")
@caseworker_only
def transfers():
    return render_template(
        "cases/transfers.html",
        transfers=services.incoming_transfers(current_user),
        decline_form=_page_form(DeclineTransferForm, "decline"),
    )


def _incoming(transfer_id: int) -> CaseTransfer:
    transfer = db.session.get(CaseTransfer, transfer_id)
    if transfer is None or transfer.to_municipality_id != current_user.municipality_id:
        abort(404)
    return transfer


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@caseworker_only
def accept_transfer(transfer_id: int):
    transfer = _incoming(transfer_id)
    try:
        case = services.accept_transfer(transfer, current_user)
    except services.CaseError as error:
        flash(error.message, "danger")
        return redirect(url_for("cases.transfers"))
    flash(
        _(
            "You have taken over the case. Its new reference is %(reference)s.",
            reference=case.reference,
        ),
        "success",
    )
    return redirect(url_for("cases.case_file", case_id=case.id))


@bp.route("/transfers/<int:transfer_id>/decline", methods=["POST"])
@caseworker_only
def decline_transfer(transfer_id: int):
    transfer = _incoming(transfer_id)
    form = _page_form(DeclineTransferForm, "decline")
    if form.validate_on_submit():
        try:
            services.decline_transfer(transfer, form.reason.data, current_user)
        except services.CaseError as error:
            flash(error.message, "danger")
        else:
            flash(_("Transfer declined. The sending municipality keeps the case."), "success")
        return redirect(url_for("cases.transfers"))
    form.transfer_id = transfer_id
    return render_template(
        "cases/transfers.html",
        transfers=services.incoming_transfers(current_user),
        decline_form=form,
    )


# -- CSV import -----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@caseworker_only
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            content = spreadsheets.decode_upload(upload.read())
            _header, rows = spreadsheets.read_rows(content)
        except spreadsheets.ImportFileError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            stored = spreadsheets.store_upload(
                upload.filename or "import.csv", content, len(rows), current_user
            )
            return redirect(url_for("cases.import_preview", import_id=stored.id))
    return render_template("cases/import.html", form=form)


@bp.route("/import/template.csv")
@caseworker_only
def import_template():
    return Response(
        spreadsheets.import_template(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="integrapath-import-template.csv"'},
    )


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@caseworker_only
def import_preview(import_id: int):
    upload = get_scoped_or_404(CaseImport, import_id)
    if upload.imported_at is not None:
        flash(_("This file has been imported already."), "info")
        return redirect(url_for("cases.caseload"))
    _header, rows = spreadsheets.read_rows(upload.content)
    # Checked again on every request: a file registered since the preview is seen at confirm.
    results = spreadsheets.check_rows(rows, current_user, CaseForm)
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
                    count=len(cases),
                    file=upload.filename,
                    skipped=len(results) - len(cases),
                ),
                "success",
            )
            return redirect(url_for("cases.caseload", caseworker=""))
    return render_template(
        "cases/import_preview.html",
        upload=upload,
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
