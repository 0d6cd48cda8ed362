"""The newcomer's own portal: pathway, plan, courses and contact details."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/my")
