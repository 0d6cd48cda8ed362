"""Caseworker pages for case files."""

from flask import render_template

from ..security import Role, allow
from . import bp


@bp.route("/")
@allow(Role.CASEWORKER)
def caseload():
    return render_template("cases/caseload.html")
