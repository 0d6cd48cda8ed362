"""Erasure requests (a caseworker records one, an administrator decides it) and the
retention period of closed files."""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..accounts.models import Municipality
from ..cases.page import RIGHT, CaseSection, add_section, page_form, submit_section
from ..cases.services import load_case_file
from ..errors import submit_form
from ..extensions import db, paginate
from ..security import Role, allow, get_scoped_or_404, menu_item
from . import bp, services
from .forms import ErasureDecisionForm, ErasureRequestForm, RetentionForm
from .models import ErasureRequest, ErasureStatus

menu_item("privacy.data_protection", _l("Data protection"))


def _erasure_form(case, submitted: bool = False) -> ErasureRequestForm:
    return page_form(ErasureRequestForm, "erasure", **({} if submitted else {"formdata": None}))


add_section(
    CaseSection(
        "erasure",
        _l("Erasure of personal data"),
        "privacy/_case_section.html",
        RIGHT,
        90,
        forms={"erasure_form": _erasure_form},
        context=lambda case: {"erasure": services.waiting_erasure(case)},
    )
)


@bp.route("/cases/<int:case_id>/erasure", methods=["POST"])
@allow(Role.CASEWORKER)
def request_erasure(case_id: int):
    case = load_case_file(case_id, current_user)
    if case is None:
        abort(404)
    return submit_section(
        case,
        "erasure_form",
        _erasure_form(case, submitted=True),
        lambda _form: services.request_erasure(case, current_user),
        _("Erasure requested. An administrator decides; until then the file stays as it is."),
        "erasure",
    )


def _data_protection_page(retention_form=None, decision_form=None, failed_row=None):
    municipality = db.session.get(Municipality, current_user.municipality_id)
    waiting = paginate(
        services.erasure_requests_query(current_user).options(
            joinedload(ErasureRequest.requested_by)
        ),
        services.ERASURE_ORDER,
    )
    decided = db.session.scalars(
        services.erasure_requests_query(current_user, status=None)
        .where(ErasureRequest.status != ErasureStatus.REQUESTED)
        .options(joinedload(ErasureRequest.decided_by))
        .limit(20)
    ).all()
    return render_template(
        "privacy/data_protection.html",
        waiting=waiting,
        decided=decided,
        failed_row=failed_row,
        decision_form=decision_form or ErasureDecisionForm(formdata=None),
        retention_form=retention_form
        or RetentionForm(formdata=None, retention_years=municipality.retention_years),
    )


@bp.route("/admin/data-protection")
@allow(Role.ADMIN)
def data_protection():
    return _data_protection_page()


@bp.route("/admin/data-protection/retention", methods=["POST"])
@allow(Role.ADMIN)
def save_retention():
    municipality = db.session.get(Municipality, current_user.municipality_id)
    form = RetentionForm()
    return submit_form(
        form,
        lambda form: services.set_retention_years(
            municipality, form.retention_years.data, current_user
        ),
        _("Setting saved."),
        lambda: redirect(url_for("privacy.data_protection")),
        lambda: _data_protection_page(retention_form=form),
    )


@bp.route("/admin/erasures/<int:erasure_id>", methods=["POST"])
@allow(Role.ADMIN)
def decide_erasure(erasure_id: int):
    erasure = get_scoped_or_404(ErasureRequest, erasure_id)
    form = ErasureDecisionForm()
    return submit_form(
        form,
        lambda form: services.decide_erasure(
            erasure, form.decision.data == "erase", current_user, form.refusal_ground.data
        ),
        _("Decision recorded for file %(reference)s.", reference=erasure.reference),
        lambda: redirect(url_for("privacy.data_protection")),
        lambda: _data_protection_page(decision_form=form, failed_row=erasure.id),
    )
