"""The ceiling: a bare Flask app answering with one primary-key query on the same database.

Served by ``make bench`` beside IntegraPath, with the same gunicorn settings, so that each page
is measured against what Flask and the database alone can do on this machine at this moment.
"""

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


@app.route("/")
def one_row():
    row = db.session.execute(text("SELECT id, name FROM municipality WHERE id = 1")).one()
    return f"{row.id} {row.name}"
