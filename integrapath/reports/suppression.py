"""Small-cell protection of report tables: counts below a threshold are hidden, and so many
more as needed that none of them can be worked out from the totals (secondary suppression).

The unit that is hidden is a whole row of a table (a group of people): a row that hides only
one of its figures could be worked out from the others (employed = active - unemployed).
"""

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One figure about a group: ``count`` of ``base`` people (a rate), or a plain count
    (``base`` None), or a ``value`` such as a median over ``count`` people."""

    count: int
    base: int | None = None
    value: float | None = None

    @property
    def rate(self) -> float | None:
        if self.base is None:
            return None
        return self.count / self.base if self.base else None

    @property
    def ratio(self) -> float | None:
        """The figure to show as a percentage: the share given, or count of base."""
        return self.value if self.value is not None else self.rate

    def too_small(self, threshold: int) -> bool:
        """True when the figure singles out fewer than ``threshold`` people: the count, the
        base, or those of the base not counted (98 % of 100 says who the 2 are)."""
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
    hidden: bool = False
    total: bool = False


@dataclass
class Table:
    """A report table: the total row first, then one row per group of the breakdown."""

    key: str
    title: str
    columns: list  # Column
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Row | None:
        return next((row for row in self.rows if row.total), None)

    @property
    def groups(self) -> list[Row]:
        return [row for row in self.rows if not row.total]


def protect(rows: list[Row], threshold: int, *, with_total: bool = True) -> None:
    """Hide every row with a figure about fewer than ``threshold`` people; then, while the
    rows add up to a shown total, hide the smallest other row wherever only one is hidden,
    so that the total minus the shown rows never gives a hidden one away."""
    for row in rows:
        if any(cell.too_small(threshold) for cell in row.cells.values()) or (
            0 < row.people < threshold
        ):
            row.hidden = True
    groups = [row for row in rows if not row.total]
    total = next((row for row in rows if row.total), None)
    if not with_total or total is None or total.hidden:
        return
    hidden = [row for row in groups if row.hidden]
    if len(hidden) == 1:
        shown = sorted(
            (row for row in groups if not row.hidden and row.people), key=lambda r: r.people
        )
        if shown:
            shown[0].hidden = True
        else:  # nothing else to hide with it: the total would give it away
            total.hidden = True
