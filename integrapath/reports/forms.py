"""The reader's choice of what a report shows: the year, the arrival year, the breakdown."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from ..i18n import labelled_choices, local_digits
from .services import Breakdown

YEARS_SHOWN = 10


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField(_l("Situation at the end of"), coerce=int)
    arrived = SelectField(_l("Arrived in"), default="")
    breakdown = SelectField(
        _l("Broken down by"), choices=lambda: labelled_choices(Breakdown), default="sex"
    )

    def offer_years(self, this_year: int) -> None:
        """Offer the last years (this one first) as the period, and as arrival years."""
        years = list(range(this_year, this_year - YEARS_SHOWN, -1))
        self.year.choices = [(year, local_digits(year)) for year in years]
        self.arrived.choices = [("", _l("Any year"))] + [
            (str(year), local_digits(year)) for year in years
        ]
        if self.year.data not in years:
            self.year.data = this_year


class SettingsForm(FlaskForm):
    threshold = IntegerField(
        _l("Smallest group shown"),
        validators=[InputRequired(), NumberRange(min=3, max=50)],
        description=_l("Figures about fewer people are hidden in every table, chart and export."),
    )
    needs_consent = BooleanField(_l("Count only people who agreed to anonymous statistics"))
    submit = SubmitField(_l("Save settings"))
