"""Course catalogue, offerings, enrolments and attendance."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix="/courses")
