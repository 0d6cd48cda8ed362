"""Transfer pages: the request from the case page, and the receiving municipality's answer."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..cases.page import (
    CASELOAD_NOTICES,
    RIGHT,
    CaseSection,
    Notice,
    add_section,
    page_form,
    submit_section,
)
from ..cases.services import load_case_file
from ..i18n import local_digits
from ..security import Role, allow, get_scoped_or_404, menu_item
from . import bp, services
from .forms import DeclineTransferForm, TransferForm
from .models import CaseTransfer
from .permissions import can_answer_transfer

caseworker_only = allow(Role.CASEWORKER)

menu_item("transfers.incoming", _l("Transfers"))


def _transfer_form(case, submitted: bool = False) -> TransferForm:
    form = page_form(TransferForm, "transfer", **({} if submitted else {"formdata": None}))
    form.to_municipality_id.choices = [("", _("Choose…"))] + [
        (municipality.id, municipality.name) for municipality in services.transfer_targets(case)
    ]
    return form


add_section(
    CaseSection(
        "transfer",
        _l("Transfer"),
        "transfers/_case_section.html",
        RIGHT,
        30,
        forms={"transfer_form": _transfer_form},
        context=lambda case: {"transfer": services.pending_transfer(case)},
    )
)


def _waiting_notice(user) -> Notice | None:
    count = services.count_incoming_transfers(user)
    if not count:
        return None
    return Notice(
        # Flask-Babel fills %(num)s from the count itself (a second num= is a TypeError);
        # the locale's digits are put in afterwards.
        local_digits(
            ngettext(
                "%(num)s case transfer is waiting for your answer.",
                "%(num)s case transfers are waiting for your answer.",
                count,
            )
        ),
        url_for("transfers.incoming"),
        _("See transfers"),
    )


CASELOAD_NOTICES.append(_waiting_notice)


@bp.route("/<int:case_id>/transfer", methods=["POST"])
@caseworker_only
def request_transfer(case_id: int):
    case = load_case_file(case_id, current_user)
    if case is None:
        abort(404)
    return submit_section(
        case,
        "transfer_form",
        _transfer_form(case, submitted=True),
        lambda form: services.request_transfer(
            case, form.to_municipality_id.data, form.reason.data, current_user
        ),
        _("Transfer requested. The case stays here until the other municipality accepts."),
        "transfer",
    )


@bp.route("/transfers")
@caseworker_only
def incoming():
    return _incoming_page(page_form(DeclineTransferForm, "decline"))


def _incoming_page(decline_form, failed_row: int | None = None):
    return render_template(
        "transfers/incoming.html",
        transfers=services.incoming_transfers(current_user),
        decline_form=decline_form,
        failed_row=failed_row,
    )


def _answerable(transfer_id: int) -> CaseTransfer:
    transfer = get_scoped_or_404(CaseTransfer, transfer_id)
    if not can_answer_transfer(current_user, transfer):
        abort(404)  # the sender sees its request on the case page, never here
    return transfer


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@caseworker_only
def accept(transfer_id: int):
    transfer = _answerable(transfer_id)
    try:
        case = services.accept_transfer(transfer, current_user)
    except services.CaseError as error:
        flash(error.message, "danger")
        return redirect(url_for("transfers.incoming"))
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
def decline(transfer_id: int):
    transfer = _answerable(transfer_id)
    form = page_form(DeclineTransferForm, "decline")
    if form.validate_on_submit():
        try:
            services.decline_transfer(transfer, form.reason.data, current_user)
        except services.CaseError as error:
            flash(error.message, "danger")
        else:
            flash(_("Transfer declined. The sending municipality keeps the case."), "success")
        return redirect(url_for("transfers.incoming"))
    return _incoming_page(form, failed_row=transfer_id)
