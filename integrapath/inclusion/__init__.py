from flask import Blueprint

# Shares the /cases prefix: housing, health and civic records are parts of a case file.
bp = Blueprint("inclusion", __name__, url_prefix="/cases")
