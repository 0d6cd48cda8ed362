"""Assessments: CEFR levels, qualification recognition, the skills profile, employment status."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

# Shares the /cases prefix: assessments are parts of a case file.
bp = Blueprint("assessments", __name__, url_prefix="/cases")
