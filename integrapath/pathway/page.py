"""The caseworker's day, assembled from lists that any domain adds with one ``add_day_list``.

The pathway's own lists (falling behind, permits, quiet files, ready to advance) are built in
its view; a domain above ``pathway`` (the portal's messages from newcomers) adds its list here,
so that the day grows without ``pathway`` knowing about it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .services import DayList


@dataclass(frozen=True)
class DayListSection:
    anchor: str  # the id of the card, and the target of the summary link
    title: Any  # shown in the summary and as the card's heading
    template: str  # a card that shows ``day_list`` (DayList)
    rows: Callable[[Any], DayList]  # the signed-in caseworker's list: one query or two


DAY_LISTS: list[DayListSection] = []


def add_day_list(section: DayListSection) -> None:
    DAY_LISTS.append(section)
