"""Form pieces every domain uses."""

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def optional_int(value):
    """Coerce a select's value to an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of check boxes (weekdays, a partner's service areas)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
