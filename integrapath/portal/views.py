"""Pages of the newcomer's portal."""

from flask import render_template

from ..security import Role, allow
from . import bp


@bp.route("/")
@allow(Role.MIGRANT)
def home():
    return render_template("portal/home.html")
