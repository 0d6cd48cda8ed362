from flask import Blueprint

# Shares the /cases prefix: a transfer is an action on a case file.
bp = Blueprint("transfers", __name__, url_prefix="/cases")
