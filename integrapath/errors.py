"""The error that services raise when a business rule is broken, and how forms show it."""

from flask import flash


class RuleBroken(Exception):
    """A business rule was broken; ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def show_on_form(form, error: RuleBroken) -> None:
    """Put the message next to its field, or above the form when no field fits."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def submit_form(form, action, done, then, otherwise):
    """Run ``action(form)`` for a valid form, flash ``done`` and answer ``then()``.

    Invalid input or a broken rule answers ``otherwise()`` instead: the page again, with the
    errors next to the fields and what was typed still in them.
    """
    if form.validate_on_submit():
        try:
            action(form)
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(done, "success")
            return then()
    return otherwise()
