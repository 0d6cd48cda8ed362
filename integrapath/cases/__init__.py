"""Case files of newcomers: registration, caseload, household, consent, notes, transfers."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
