"""The case page, assembled from sections that any domain adds with one ``add_section``.

A section is a card of the page: its template, the forms it offers and the data it shows.
Domains above ``cases`` (transfers, assessments, courses, pathway) add theirs from their
views module, so the case file grows without ``cases`` knowing about them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import Select

from ..errors import submit_form
from .forms import CaseloadFilterForm
from .models import Case
from .services import record_case_view

LEFT, RIGHT = 0, 1


@dataclass(frozen=True)
class CaseSection:
    anchor: str  # the id of the card, and the target of "back to the section"
    title: Any  # shown in the page's section menu
    template: str
    column: int
    order: int
    # Blank forms of the section by name; a submitted form with errors replaces its blank one.
    forms: dict[str, Callable[[Case], Any]] = field(default_factory=dict)
    # What the section shows, read when the page is rendered.
    context: Callable[[Case], dict] | None = None


SECTIONS: list[CaseSection] = []


@dataclass(frozen=True)
class Notice:
    text: str
    link: str
    link_text: str


# Notices at the top of the caseload (e.g. transfers waiting for an answer): each takes the
# signed-in user and returns a Notice, or None.
CASELOAD_NOTICES: list[Callable[[Any], Notice | None]] = []


@dataclass(frozen=True)
class CaseloadFilter:
    """Filters a domain above ``cases`` adds to the caseload (a CEFR level, a housing situation).

    ``fields`` are unbound WTForms fields by name, shown under "More filters"; ``narrow`` takes
    the caseload select and the values of those fields, and is called only when one of them
    is filled in. Filters that reveal sensitive data name the audit action their use records.
    """

    fields: dict[str, Any]
    narrow: Callable[[Select, dict[str, Any]], Select]
    audited_as: str | None = None


CASELOAD_FILTERS: list[CaseloadFilter] = []
_filter_form: list[type[CaseloadFilterForm]] = []  # built on first use, then reused


def add_caseload_filter(caseload_filter: CaseloadFilter) -> None:
    CASELOAD_FILTERS.append(caseload_filter)
    _filter_form.clear()


def caseload_filter_form() -> type[CaseloadFilterForm]:
    """The caseload's filter form with the fields of every added filter."""
    if not _filter_form:
        fields = {name: f for added in CASELOAD_FILTERS for name, f in added.fields.items()}
        _filter_form.append(type("CaseloadFilterForm", (CaseloadFilterForm,), fields))
    return _filter_form[0]


def added_filter_names() -> list[str]:
    return [name for added in CASELOAD_FILTERS for name in added.fields]


def _filled(value) -> bool:
    return value not in (None, "", False, [])


def caseload_narrowing(form) -> list[tuple[CaseloadFilter, Callable[[Select], Select]]]:
    """The added filters the user filled in, each with its narrowing of the select."""
    chosen = []
    for added in CASELOAD_FILTERS:
        values = {name: form[name].data for name in added.fields}
        if any(_filled(value) for value in values.values()):
            chosen.append((added, lambda statement, a=added, v=values: a.narrow(statement, v)))
    return chosen


def add_section(section: CaseSection) -> None:
    SECTIONS.append(section)
    SECTIONS.sort(key=lambda known: (known.column, known.order))


def page_form(form_class, prefix: str, **kwargs):
    """A form of the case page. Prefixes keep field ids unique among the page's forms;
    CSRFProtect checks the page's one token on every POST, so the form does not again."""
    return form_class(prefix=prefix, meta={"csrf": False}, **kwargs)


def render_case_file(case: Case, *, failed_row: int | None = None, **submitted):
    """Render the case page; ``submitted`` forms (with errors) replace the blank ones, and
    ``failed_row`` names the row (a note, a consent) whose per-row form failed."""
    context: dict[str, Any] = {}
    for section in SECTIONS:
        for name, blank in section.forms.items():
            context[name] = submitted.get(name) or blank(case)
        if section.context is not None:
            context.update(section.context(case))
    record_case_view(case, current_user)
    return render_template(
        "cases/case_file.html",
        case=case,
        sections=SECTIONS,
        failed_row=failed_row,
        **context,
    )


def back_to(case: Case, section: str):
    return redirect(url_for("cases.case_file", case_id=case.id, _anchor=section))


def submit_section(
    case: Case, form_key: str, form, action, done: str, section: str, row: int | None = None
):
    """Run ``action(form)`` for a valid form of the case page, then go back to its section.

    Invalid input or a broken rule shows the page again, with the errors next to the fields
    and what was typed still in them.
    """
    return submit_form(
        form,
        action,
        done,
        lambda: back_to(case, section),
        lambda: render_case_file(case, failed_row=row, **{form_key: form}),
    )
