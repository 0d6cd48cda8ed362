"""The municipality's dashboard of indicators, each table as CSV, the printable report."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..errors import RuleBroken, show_on_form
from ..extensions import db
from ..i18n import format_number, format_percent, local_today
from ..security import Role, allow, menu_item
from ..spreadsheets import csv_delimiter, neutralise
from . import bp, services
from .forms import PeriodForm, SettingsForm

STAFF = (Role.CASEWORKER, Role.ADMIN)

menu_item("reports.dashboard", _l("Reports"))


@bp.before_request
def not_for_others():
    """Providers and newcomers are not told that reports exist: every report URL is 404."""
    if current_user.is_authenticated and current_user.role not in STAFF:
        abort(404)


def _report() -> tuple[PeriodForm, services.Report]:
    today = local_today()
    form = PeriodForm(request.args)
    form.offer_years(today.year)
    if not form.validate():
        form = PeriodForm(formdata=None)
        form.offer_years(today.year)
    arrived = int(form.arrived.data) if form.arrived.data else None
    period = services.period_of(form.year.data, today, form.breakdown.data, arrived)
    return form, services.build_report(current_user.municipality, period, today)


def show(cell, column) -> str:
    """A cell as the reader reads it: a count, a percentage or a median, in their locale."""
    if column.kind == "count":
        return format_number(cell.count)
    if column.kind == "median":
        return format_number(round(cell.value, 1)) if cell.value is not None else "–"
    return format_percent(cell.ratio) if cell.ratio is not None else "–"


def text(row, column) -> str:
    cell = row.cells.get(column.key)
    if cell is None:
        return "–"
    if cell.hidden:
        return _("Hidden")
    return show(cell, column)


def gap(table, column) -> str | None:
    """Women minus men in percentage points, when both are shown (the councils' question)."""
    rows = {row.key: row for row in table.groups}
    women, men = rows.get("female"), rows.get("male")
    if not (women and men) or column.kind != "rate":
        return None
    cells = women.cells[column.key], men.cells[column.key]
    if any(cell.hidden or cell.ratio is None for cell in cells):
        return None
    first, second = (cell.ratio for cell in cells)
    return _("%(points)s points", points=format_number(round((first - second) * 100, 1)))


HELPERS = {"show": show, "text": text, "gap": gap}


def _settings_form(**kwargs) -> SettingsForm | None:
    if current_user.role != Role.ADMIN:
        return None
    town = current_user.municipality
    return SettingsForm(
        prefix="settings",
        data={"threshold": town.report_threshold, "needs_consent": town.report_needs_consent},
        **kwargs,
    )


@bp.route("/")
@allow(*STAFF)
def dashboard(settings_form=None):
    form, report = _report()
    return render_template(
        "reports/dashboard.html",
        form=form,
        report=report,
        settings_form=settings_form or _settings_form(formdata=None),
        **HELPERS,
    )


@bp.route("/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_settings():
    form = SettingsForm(prefix="settings")
    if form.validate_on_submit():
        try:
            services.set_report_settings(
                current_user.municipality,
                form.threshold.data,
                form.needs_consent.data,
                current_user,
            )
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The report settings have been saved."), "success")
            return redirect(url_for("reports.dashboard"))
    return dashboard(settings_form=form), 422


@bp.route("/print")
@allow(*STAFF)
def printable():
    form, report = _report()
    return render_template("reports/print.html", form=form, report=report, **HELPERS)


@bp.route("/export.csv")
@allow(*STAFF)
def table_csv():
    """A table of the dashboard as CSV, chosen by ``?table=`` (unknown: back to the dashboard)."""
    key = request.args.get("table", "")
    _form, report = _report()
    table = report.table(key)
    if table is None:
        return redirect(url_for("reports.dashboard"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=csv_delimiter(str(get_locale())))
    writer.writerow([_("Group"), *(str(column.label) for column in table.columns)])
    for row in table.rows:
        writer.writerow(
            [neutralise(str(row.label)), *(text(row, column) for column in table.columns)]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{key}-{report.period.year}.csv"',
            "Cache-Control": "no-store",
        },
    )
