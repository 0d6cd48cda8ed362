"""Signing in and out, account activation, passwords and language choice."""

# Routes live in views.py, imported by create_app, so that models import without views.
from flask import Blueprint

bp = Blueprint("auth", __name__)
