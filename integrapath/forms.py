"""Form pieces every domain uses."""


def optional_int(value):
    """Coerce a select's value to an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None
