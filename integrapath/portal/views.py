"""Pages of the newcomer's portal."""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..cases.models import Case, Stage
from ..extensions import db
from ..inclusion.services import shared_with_newcomer
from ..security import Role, allow, menu_item, scoped
from . import bp

menu_item("portal.home", _l("My pathway"))


@bp.route("/")
@allow(Role.MIGRANT)
def home():
    case = db.session.scalar(
        scoped(select(Case), current_user).options(joinedload(Case.caseworker))
    )
    housing, statuses = shared_with_newcomer(case) if case else (None, [])
    return render_template(
        "portal/home.html", case=case, stages=list(Stage), housing=housing, statuses=statuses
    )
