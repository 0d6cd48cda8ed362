"""WSGI entry point: ``gunicorn wsgi:app``."""

from integrapath import create_app

app = create_app()
