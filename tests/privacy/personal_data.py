"""Look for a person's data anywhere in the database."""

import sqlalchemy as sa

from integrapath.extensions import db


def text_of_every_row(connection) -> dict[str, str]:
    """Every text and JSON value of every table, lower-cased, one string per table."""
    found = {}
    for table in db.metadata.sorted_tables:
        columns = [
            column
            for column in table.columns
            if isinstance(column.type, sa.String | sa.Text | sa.JSON | sa.Enum)
        ]
        if not columns:
            continue
        rows = connection.execute(sa.select(*columns)).all()
        found[table.name] = "\n".join(repr(tuple(row)) for row in rows).lower()
    return found


def places_holding(connection, values) -> dict[str, list[str]]:
    """The tables in which any of ``values`` (compared without case) still appears."""
    dump = text_of_every_row(connection)
    return {
        value: [name for name, text in dump.items() if value.lower() in text]
        for value in values
        if value and any(value.lower() in text for text in dump.values())
    }
