from flask import Blueprint

# Routes under /cases (parts of a case file) and /admin (the checklists), written in full.
bp = Blueprint("pathway", __name__)
