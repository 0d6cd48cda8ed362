"""Data protection: erasure of a person on request, retention of closed files, backups."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("privacy", __name__)
