"""Forms for signing in, activating an account and changing the password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..accounts.services import ACTIVATION_CODE_DIGITS, normalise_activation_code
from ..i18n import lazy_number, locale_choices
from .services import is_common_password

PASSWORD_MIN_LENGTH = 10


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


def _reject_weak_password(form, field) -> None:
    value = field.data or ""
    if value.strip() != value:
        raise ValidationError(_l("The password must not start or end with a space."))
    if len(set(value)) < 4:
        raise ValidationError(_l("The password is too easy to guess."))
    if is_common_password(value):
        raise ValidationError(
            _l("This password is on a list of passwords that many people use. Choose another.")
        )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=200,
                message=_l(
                    "Use at least %(min)s characters.", min=lazy_number(PASSWORD_MIN_LENGTH)
                ),
            ),
            _reject_weak_password,
        ],
        description=_l("At least %(min)s characters.", min=lazy_number(PASSWORD_MIN_LENGTH)),
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class PasswordChangeForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class ActivationForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Activate my account"))


def _sixteen_digits(form, field) -> None:
    if normalise_activation_code(field.data) is None:
        raise ValidationError(
            _l("The code has %(num)s digits. Please look at your letter again.",
               num=lazy_number(ACTIVATION_CODE_DIGITS))
        )  # fmt: skip


class ActivationCodeForm(FlaskForm):
    """The code of a newcomer's letter, for those who type it instead of scanning the QR."""

    code = StringField(
        _l("Code from your letter"),
        validators=[DataRequired(), Length(max=60), _sixteen_digits],
        description=_l("%(num)s digits, for example %(example)s.",
                       num=lazy_number(ACTIVATION_CODE_DIGITS), example="1234 5678 9012 3456"),
        # A phone shows its number pad; the digits typed may be Arabic or Persian ones too.
        render_kw={"inputmode": "numeric", "dir": "ltr", "spellcheck": "false"},
    )  # fmt: skip
    submit = SubmitField(_l("Continue"))


class LanguageForm(FlaskForm):
    """The language switcher shown on every page."""

    locale = SelectField(_l("Language"), choices=locale_choices, validators=[DataRequired()])
    next = HiddenField()
