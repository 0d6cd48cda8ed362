"""The pages `make bench` measures: one line each. A new page adds its line here.

``who`` is the generated account that asks (``caseworker``, ``admin``, ``provider`` or
``newcomer``, one of the class with a portal account); the
path may name facts of the generated data, filled in by ``load.facts``: ``{case}`` (a file in
the middle of caseworker0's caseload), ``{plan_case}`` (one of theirs with an agreed
integration plan), ``{deep}`` (the file after which the all-cases list is 80 % through),
``{permit}`` (a permit number of another caseworker's file), ``{session}`` (today's session
of the generated class of 30), ``{offering}`` (its course run) and ``{referred}`` (a file of
caseworker0's referred to a partner service).
A page with a ``form`` is a POST of that form (with the page's CSRF token) to the path.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    who: str
    path: str
    download: bool = False  # timed once with its memory, not under wrk (a big file)
    form: str = ""  # a POST of these urlencoded fields, e.g. a form's submit button


PAGES = [
    Page("caseload: my cases", "caseworker", "/cases/"),
    Page("caseload: all, by name", "caseworker", "/cases/?caseworker="),
    Page("caseload: a deep page", "caseworker", "/cases/?caseworker=&after={deep}"),
    Page("caseload: name search", "caseworker", "/cases/?caseworker=&q=muller"),
    Page("caseload: permit search", "caseworker", "/cases/?caseworker=&q={permit}"),
    Page("caseload: nationality", "caseworker", "/cases/?caseworker=&nationality=ER"),
    Page(
        "caseload: expiring permits",
        "caseworker",
        "/cases/?caseworker=&permit_expiring=y&sort=permit",
    ),  # fmt: skip
    Page(
        "caseload: temporary accommodation 12 months",
        "caseworker",
        "/cases/?caseworker=&housing=temporary_accommodation&housing_months=12",
    ),
    Page("caseload: no health insurance", "caseworker", "/cases/?caseworker=&health_insurance=no"),
    Page(
        "caseload: unemployed, B1+ in every skill",
        "caseworker",
        "/cases/?caseworker=&cefr_language=en&cefr_from=b1&employment=unemployed",
    ),
    Page(
        "caseload: recognition in assessment",
        "caseworker",
        "/cases/?caseworker=&recognition=in_assessment",
    ),
    Page("a case file", "caseworker", "/cases/{case}"),
    Page("a case file with a referral", "caseworker", "/cases/{referred}"),
    Page("caseworker's day", "caseworker", "/today"),
    Page("integration plan", "caseworker", "/cases/{plan_case}/plan"),
    Page("integration plan, printed", "caseworker", "/cases/{plan_case}/plan/versions/1/print"),
    Page("caseload: ready to advance", "caseworker", "/cases/?caseworker=&ready=y"),
    Page(
        "caseload: referral without answer",
        "caseworker",
        "/cases/?caseworker=&referral_overdue=y",
    ),
    Page("admin: accounts", "admin", "/admin/users"),
    Page("admin: audit log", "admin", "/admin/audit"),
    Page("admin: milestones", "admin", "/admin/milestones"),
    Page("reports: dashboard, by sex", "admin", "/reports/"),
    Page("reports: dashboard, by country", "caseworker", "/reports/?breakdown=country"),
    Page("provider: attendance of 30", "provider", "/courses/sessions/{session}/attendance"),
    Page(
        "provider: attendance saved again",
        "provider",
        "/courses/sessions/{session}/attendance",
        form="all_present=1",
    ),
    Page("provider: course run", "provider", "/courses/offerings/{offering}"),
    Page("newcomer: my pathway", "newcomer", "/my/"),
    Page("newcomer: my plan", "newcomer", "/my/plan"),
    Page("newcomer: my courses", "newcomer", "/my/courses"),
    Page("CSV export, all cases", "caseworker", "/cases/export.csv?caseworker=", download=True),
]
