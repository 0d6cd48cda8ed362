"""Course provider pages."""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..security import Role, allow, menu_item
from . import bp

menu_item("courses.provider_home", _l("My courses"))


@bp.route("/provider")
@allow(Role.PROVIDER)
def provider_home():
    return render_template("courses/provider_home.html", organisation=current_user.organisation)
