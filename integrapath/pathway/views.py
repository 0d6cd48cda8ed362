"""The pathway section of the case file: the stages, and moving the case between them."""

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..cases.models import Case, Stage
from ..cases.page import LEFT, CaseSection, add_section, page_form, submit_section
from ..cases.services import load_case_file
from ..security import Role, allow
from . import bp, services
from .forms import StageMoveForm
from .permissions import can_move_stage


def _stage_form(case: Case) -> StageMoveForm:
    stages = list(Stage)
    following = stages[min(case.stage.number, len(stages) - 1)]
    return page_form(StageMoveForm, "stage", formdata=None, to_stage=following.value)


add_section(
    CaseSection(
        "pathway",
        _l("Pathway"),
        "pathway/_stages.html",
        LEFT,
        5,
        forms={"stage_form": _stage_form},
        context=services.pathway_of,
    )
)


@bp.route("/<int:case_id>/stage", methods=["POST"])
@allow(Role.CASEWORKER)
def move_stage(case_id: int):
    case = load_case_file(case_id, current_user)
    if case is None or not can_move_stage(current_user, case):
        abort(404)
    return submit_section(
        case,
        "stage_form",
        page_form(StageMoveForm, "stage"),
        lambda form: services.move_stage(case, form.to_stage.data, form.reason.data, current_user),
        _("The case moved to another stage."),
        "pathway",
    )
