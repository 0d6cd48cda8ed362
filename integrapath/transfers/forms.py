"""Forms to ask another municipality to take a case over, and to decline."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import optional_int


class TransferForm(FlaskForm):
    to_municipality_id = SelectField(
        _l("Receiving municipality"), coerce=optional_int, validators=[DataRequired()]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Request transfer"))


class DeclineTransferForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the transfer is declined"), validators=[DataRequired(), Length(max=1000)]
    )
    submit = SubmitField(_l("Decline"))
