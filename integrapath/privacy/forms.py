"""Forms of data protection: an erasure request, its decision, the retention period."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from .models import REFUSAL_GROUNDS


class ErasureRequestForm(FlaskForm):
    asked = BooleanField(
        _l("The person has asked for their personal data to be erased"),
        validators=[DataRequired(_l("Confirm that the person asked for it."))],
    )
    submit = SubmitField(_l("Send the request to the administrator"))


class ErasureDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            ("erase", _l("Erase the personal data now")),
            ("refuse", _l("Keep the file")),
        ],
        validators=[InputRequired(_l("Choose a decision."))],
    )
    refusal_ground = SelectField(
        _l("Ground for keeping the file"),
        choices=lambda: [("", "—"), *((ground.value, ground.label) for ground in REFUSAL_GROUNDS)],
        validate_choice=False,  # the service checks it, and only for a refusal
    )
    submit = SubmitField(_l("Decide"))


class RetentionForm(FlaskForm):
    retention_years = IntegerField(
        _l("Years a closed file is kept before its personal data is erased"),
        validators=[DataRequired(), NumberRange(min=1, max=100)],
    )
    submit = SubmitField(_l("Save setting"))
