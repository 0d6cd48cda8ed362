"""Small-cell protection of report tables: figures about fewer people than a threshold are
hidden, and so many more as needed that none of them can be worked out from what is shown.

- *Primary*: a figure is hidden when its count, its base or those of the base not counted
  (98 % of 100 says who the 2 are) is between 1 and the threshold.
- *Linked figures*: figures of one row that are sums of the same people (employment,
  unemployment and activity: employed = active - unemployed) are hidden together, so one
  cannot be worked out from the others of its row.
- *Secondary*: where the groups of a column add up to a total that is shown, a column never
  has exactly one hidden group with people in it: the smallest other group that has some is
  hidden with it (or, when there is none, the total), so that the total minus the groups
  shown gives away no single group.

The three rules are applied again until nothing changes.
"""

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One figure about a group: ``count`` of ``base`` people (a rate), or a plain count
    (``base`` None), or a ``value`` such as a median or a share over ``count`` people."""

    count: int
    base: int | None = None
    value: float | None = None
    hidden: bool = False

    @property
    def rate(self) -> float | None:
        if self.base is None:
            return None
        return self.count / self.base if self.base else None

    @property
    def ratio(self) -> float | None:
        """The figure to show as a percentage: the share given, or count of base."""
        return self.value if self.value is not None else self.rate

    @property
    def size(self) -> int:
        """How many people the figure adds to its column's total."""
        return self.base if self.base is not None else self.count

    def too_small(self, threshold: int) -> bool:
        """True when the figure singles out fewer than ``threshold`` people."""
        sizes = [self.count]
        if self.base is not None:
            sizes += [self.base, self.base - self.count]
        return any(0 < size < threshold for size in sizes)


@dataclass
class Row:
    key: object
    label: str
    cells: dict[str, Cell]
    people: int = 0  # how many people the row is about: secondary suppression hides the least
    total: bool = False

    @property
    def hidden(self) -> bool:
        """Every figure of the row is hidden."""
        return bool(self.cells) and all(cell.hidden for cell in self.cells.values())


@dataclass
class Table:
    """A report table: the total row first (when its groups add up to one), then a row per
    group of the breakdown."""

    key: str
    title: str
    columns: list  # of services.Column
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Row | None:
        return next((row for row in self.rows if row.total), None)

    @property
    def groups(self) -> list[Row]:
        return [row for row in self.rows if not row.total]


def protect(rows: list[Row], threshold: int, linked: list[set[str]] | None = None) -> None:
    """Hide the figures of ``rows`` that could single out fewer than ``threshold`` people,
    directly or by differencing (see the module's description). ``linked`` lists the sets of
    columns hidden together in a row; without it, a row is hidden as a whole."""
    every = {key for row in rows for key in row.cells}
    links = linked if linked is not None else [every]
    for row in rows:
        small_group = 0 < row.people < threshold
        for cell in row.cells.values():
            cell.hidden = small_group or cell.too_small(threshold)
    total = next((row for row in rows if row.total), None)
    groups = [row for row in rows if not row.total]
    changed = True
    while changed:
        changed = False
        for row in rows:
            for link in links:
                cells = [row.cells[key] for key in link if key in row.cells]
                if any(cell.hidden for cell in cells):
                    for cell in cells:
                        changed |= not cell.hidden
                        cell.hidden = True
        if total is None:
            continue
        for key, total_cell in total.cells.items():
            if total_cell.hidden:
                continue
            in_column = [row for row in groups if key in row.cells]
            hidden = [row for row in in_column if row.cells[key].hidden and row.cells[key].size]
            if len(hidden) != 1:
                continue
            # Only a group that adds to the column's total hides the first one's figure.
            shown = [row for row in in_column if not row.cells[key].hidden and row.cells[key].size]
            if shown:
                min(shown, key=lambda row: row.people).cells[key].hidden = True
            else:  # nothing else to hide with it: the total would give it away
                total_cell.hidden = True
            changed = True
