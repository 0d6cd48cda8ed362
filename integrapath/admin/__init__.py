"""Administration of a municipality: accounts, organisations and the audit log."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
