"""Forms of the newcomer's portal: short, with labels in plain words."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import ascii_digits, phone_number
from ..i18n import SUPPORTED_LOCALES, labelled_choices, locale_name
from .models import MessageTopic
from .services import MAX_MESSAGE


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class MyDetailsForm(FlaskForm):
    phone = StringField(
        _l("Phone"),
        filters=[_stripped, ascii_digits],
        validators=[Optional(), phone_number()],
        render_kw={"inputmode": "tel", "dir": "ltr"},
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[_stripped],
        validators=[Optional(), Email(message=_l("Please check the e-mail address.")),
                    Length(max=254)],
        render_kw={"dir": "ltr"},
    )  # fmt: skip
    address = StringField(
        _l("Address"), filters=[_stripped], validators=[Optional(), Length(max=300)]
    )
    preferred_language = SelectField(
        _l("My language for letters and this website"),
        choices=lambda: [(code, locale_name(code)) for code in SUPPORTED_LOCALES],
    )
    submit = SubmitField(_l("Save my details"))


class MessageForm(FlaskForm):
    """Tell the caseworker that something in the file is wrong."""

    topic = SelectField(_l("What is wrong?"), choices=lambda: labelled_choices(MessageTopic))
    text = TextAreaField(
        _l("Your message"),
        filters=[_stripped],
        validators=[
            DataRequired(message=_l("Please write what is wrong.")),
            Length(max=MAX_MESSAGE),
        ],
        description=_l("Write it in your words and in your language."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Send to my caseworker"))


class DoneForm(FlaskForm):
    """The caseworker's button that takes a message off the day (CSRF only)."""


class AcknowledgeForm(FlaskForm):
    """The newcomer's confirmation that they read the agreed plan (CSRF only)."""

    submit = SubmitField(_l("I have read my plan and I agree"))
