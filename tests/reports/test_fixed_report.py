"""A report computed on a fixed data set does not change when the way it is computed does.

``fixed_report.json`` holds every figure of the dashboard (by sex, by country, by age for one
arrival year) as the first version of the reports computed them, with a window over each whole
history. The data set is the generated volume town on a fixed day, with histories filled in
through the services afterwards: records entered for earlier days between others, statuses
that end, moves back and forth between stages on several days (each after the last).
"""

import json
import random
from contextlib import suppress
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from integrapath.accounts.models import User
from integrapath.assessments.models import ActivityStatus
from integrapath.assessments.services import record_employment_status
from integrapath.cases.models import Case, Stage, StageChange
from integrapath.extensions import db
from integrapath.inclusion.models import HousingSituation, Status
from integrapath.inclusion.services import InclusionError, record_housing, record_status
from integrapath.pathway.services import PathwayError, move_stage
from integrapath.reports.services import Breakdown, build_report, period_of
from integrapath.security import Role
from integrapath.volume import seed_volume

FIGURES = Path(__file__).with_name("fixed_report.json")
TODAY = datetime(2026, 11, 20, 11, tzinfo=UTC)
NOT_WORKING = [status for status in ActivityStatus if status != ActivityStatus.EMPLOYED]


def fill_histories(town) -> None:
    """Change the histories of 60 generated people through the services, in a fixed order."""
    rng = random.Random(13)  # noqa: S311 - test data
    worker = db.session.scalars(
        select(User).where(User.municipality_id == town.id, User.role == Role.CASEWORKER)
    ).first()
    cases = db.session.scalars(
        select(Case).where(Case.municipality_id == town.id).order_by(Case.id).limit(60)
    ).all()
    today = TODAY.date()
    for case in cases:
        first = max(case.date_of_birth, today - timedelta(days=4 * 365))
        for _ in range(rng.randrange(1, 6)):
            day = first + timedelta(days=rng.randrange((today - first).days + 1))
            kind = rng.choice(("job", "home", "status", "stage"))
            if kind == "job":
                record_employment_status(case, rng.choice(NOT_WORKING), day, None, worker)
            elif kind == "home":
                situation = rng.choice(list(HousingSituation))
                record_housing(case, situation, day, None, None, worker)
            elif kind == "status":
                with suppress(InclusionError):  # recorded so already
                    record_status(case, rng.choice(list(Status)), rng.random() < 0.6, day, None,
                                  worker)  # fmt: skip
            else:
                # Moves are recorded as they happen: never before the case's latest one.
                latest = db.session.scalar(
                    select(func.max(StageChange.changed_at)).where(StageChange.case_id == case.id)
                )
                at = max(datetime.combine(day, time(10), UTC), latest + timedelta(minutes=1))
                # Refused when the case is in that stage already.
                with time_machine.travel(at, tick=False), suppress(PathwayError):
                    move_stage(case, rng.choice(list(Stage)), "Fixed data set", worker)
    db.session.flush()


def figures(town) -> dict:
    """Every figure of the dashboard in three views, as plain values."""
    today = TODAY.date()
    views = {
        "sex": period_of(today.year, today, Breakdown.SEX),
        "country": period_of(today.year, today, Breakdown.COUNTRY),
        "age_2024": period_of(today.year, today, Breakdown.AGE, 2024),
        "sex_2025": period_of(2025, today, Breakdown.SEX),
    }
    result = {}
    for name, period in views.items():
        report = build_report(town, period, today)
        result[name] = {
            table.key: {
                str(row.key): {
                    key: [
                        cell.count,
                        cell.base,
                        None if cell.value is None else round(cell.value, 9),
                        cell.hidden,
                    ]
                    for key, cell in row.cells.items()
                }  # fmt: skip
                for row in table.rows
            }
            for table in report.tables
        }
    return result


def fixed_town():
    with time_machine.travel(TODAY, tick=False):
        town = seed_volume(300)
        db.session.flush()
        fill_histories(town)
    return town


@pytest.mark.usefixtures("app_ctx")
def test_every_figure_of_the_fixed_data_set_is_what_it_was():
    town = fixed_town()
    with time_machine.travel(TODAY, tick=False):
        found = figures(town)
    assert found == json.loads(FIGURES.read_text())


def test_fixed_data_set_has_records_entered_out_of_order(app_ctx):
    # The figures above only prove something if histories were entered out of order.
    from integrapath.inclusion.models import HousingRecord

    fixed_town()
    rows = db.session.execute(
        select(HousingRecord.case_id, HousingRecord.id, HousingRecord.since).order_by(
            HousingRecord.case_id, HousingRecord.id
        )
    ).all()
    backdated = sum(
        1
        for before, after in zip(rows, rows[1:], strict=False)
        if before.case_id == after.case_id and after.since < before.since
    )
    assert backdated >= 5
