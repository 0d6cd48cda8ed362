"""Indicators and reports for the municipality: the EU integration indicators, programme
results and arrival cohorts, counted in SQL and protected against small cells."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
