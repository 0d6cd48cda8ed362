"""The code keeps its shape: access decisions live in Python, not in templates."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ROLE_COMPARISON = re.compile(
    r"\brole\s*(==|!=|\bin\b)|==\s*[\"'](admin|caseworker|provider|migrant)[\"']"
)


def test_no_template_decides_by_comparing_roles():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_COMPARISON.search(line)
    ]
    assert offenders == [], "use can(...) or menu_for(...) instead"
