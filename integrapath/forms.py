"""Form pieces every domain uses."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.validators import Regexp
from wtforms.widgets import CheckboxInput, ListWidget


def optional_int(value):
    """Coerce a select's value to an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of check boxes (weekdays, a partner's service areas)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def ascii_digits(value):
    """Digits typed in any script (Arabic ٠١٢, Persian ۰۱۲) as the ASCII digits kept on file."""
    if not isinstance(value, str):
        return value
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in value)


def phone_number():
    """A phone number as offices write it: digits, spaces, brackets, an optional leading +."""
    return Regexp(
        r"^\+?[0-9 ()./-]{6,25}$", message=_l("Use digits, spaces and an optional leading +.")
    )
