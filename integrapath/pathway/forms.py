"""Forms of the pathway section of the case file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length

from ..cases.models import Stage
from ..i18n import labelled_choices


class StageMoveForm(FlaskForm):
    to_stage = SelectField(_l("Move to"), choices=lambda: labelled_choices(Stage))
    reason = StringField(
        _l("Reason"),
        validators=[Length(max=500)],
        description=_l("Needed when the case goes back to an earlier stage."),
    )
    submit = SubmitField(_l("Move the case"))
