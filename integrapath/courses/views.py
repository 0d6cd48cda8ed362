"""Course provider pages."""

from flask import render_template
from flask_login import current_user

from ..security import Role, allow
from . import bp


@bp.route("/provider")
@allow(Role.PROVIDER)
def provider_home():
    return render_template("courses/provider_home.html", organisation=current_user.organisation)
