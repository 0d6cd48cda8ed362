from flask import Blueprint

# Shares the /cases prefix: the stage, milestones and plan are parts of a case file.
bp = Blueprint("pathway", __name__, url_prefix="/cases")
