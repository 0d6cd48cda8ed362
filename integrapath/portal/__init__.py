"""The newcomer's own portal: pathway, courses, levels, details and data; and, on the
caseworker's day, the messages newcomers send from it."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/my")
# The office's side of the portal: taking a newcomer's message off the caseworker's day.
staff_bp = Blueprint("portal_staff", __name__, url_prefix="/today/messages")
