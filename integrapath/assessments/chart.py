"""The history of CEFR levels as a server-rendered SVG line chart (no chart library)."""

from dataclasses import dataclass

from .models import CefrLevel, LanguageAssessment, LanguageSkill

WIDTH, HEIGHT = 360, 230
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 12, 26
# One dash pattern per skill, so that the lines differ without relying on colour alone.
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 5")


@dataclass(frozen=True)
class Line:
    skill: LanguageSkill
    points: str  # "x,y x,y" for <polyline>
    dots: list[tuple[float, float]]
    dash: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    levels: list[tuple[str, float]]  # label, y
    first: object  # the first and last dates, shown under the axis
    last: object


def level_chart(history: list[LanguageAssessment]) -> Chart | None:
    """Lay out ``history`` (oldest first) as one line per skill; None for fewer than 2 dates."""
    dates = sorted({row.assessed_on for row in history})
    if len(dates) < 2:
        return None
    span = (dates[-1] - dates[0]).days or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_height / (len(CefrLevel) - 1)

    def x(day) -> float:
        return round(LEFT + plot_width * (day - dates[0]).days / span, 1)

    def y(rank: int, skill_index: int) -> float:
        # Skills at the same level sit 2 px apart, so that every line stays visible.
        return round(TOP + plot_height - rank * step - 2 * skill_index + 4, 1)

    lines = []
    for index, skill in enumerate(LanguageSkill):
        dots = [
            (x(row.assessed_on), y(row.level_rank, index)) for row in history if row.skill == skill
        ]
        if dots:
            points = " ".join(f"{dx},{dy}" for dx, dy in dots)
            lines.append(Line(skill, points, dots, DASHES[index]))
    levels = [(level.label, y(level.rank, 0) - 4) for level in CefrLevel]
    return Chart(WIDTH, HEIGHT, lines, levels, dates[0], dates[-1])
