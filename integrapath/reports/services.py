"""The municipality's indicators, counted in SQL: each table is one aggregate query, whatever
the number of cases, grouped by the breakdown the reader chose; medians come from a
histogram of whole months (one more query), not from the people one by one.

The people are read from one narrow row per file (``CaseFigures``, kept by ``figures``): who
is counted and in which group, what held today, the first days at A2 and B1, and what held
6 to 36 months after arrival; a report of an earlier day joins what held then from the
histories. Attendance is read from the sums kept on each enrolment, so a report never walks
the attendance or assessment history.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import Municipality, User
from ..assessments.models import ActivityStatus, Qualification, RecognitionState
from ..audit import record_event
from ..cases.models import CaseStatus, Consent, ConsentPurpose, ResidenceCategory, Sex, Stage
from ..courses.models import Course, CourseType, Enrolment, EnrolmentStatus, Offering
from ..errors import RuleBroken
from ..extensions import db
from ..i18n import LabelledEnum, country_name, format_number, local_digits
from ..inclusion.models import HousingSituation
from .figures import HELD, keep_current, with_situation
from .models import COHORT_MONTHS, CaseFigures
from .suppression import Cell, Row, Table, protect

# Each file as the reports count it: one narrow row, kept by ``figures.keep_figures``.
F = CaseFigures


class Breakdown(LabelledEnum):
    SEX = "sex"
    AGE = "age"
    COUNTRY = "country"
    RESIDENCE = "residence"
    ARRIVAL_YEAR = "arrival_year"

    @classmethod
    def labels(cls):
        return {
            cls.SEX: _l("Sex"),
            cls.AGE: _l("Age band"),
            cls.COUNTRY: _l("Country of origin"),
            cls.RESIDENCE: _l("Residence category"),
            cls.ARRIVAL_YEAR: _l("Year of arrival"),
        }


# Age bands (lowest age, highest age or None): those of the indicators' age limits.
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))
WORKING = (ActivityStatus.EMPLOYED, ActivityStatus.SELF_EMPLOYED)
ACTIVE = (*WORKING, ActivityStatus.UNEMPLOYED)
LEARNING = (ActivityStatus.IN_EDUCATION, ActivityStatus.IN_VOCATIONAL_TRAINING)
DECIDED = (
    RecognitionState.RECOGNISED,
    RecognitionState.PARTIALLY_RECOGNISED,
    RecognitionState.COMPARABILITY_STATEMENT,
    RecognitionState.NOT_RECOGNISED,
)
TEMPORARY_HOUSING = (
    HousingSituation.RECEPTION_CENTRE,
    HousingSituation.TEMPORARY_ACCOMMODATION,
    HousingSituation.HOMELESS,
)
ENDED = (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED, EnrolmentStatus.DROPPED_OUT)


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    definition: object = ""
    kind: str = "rate"  # rate | count | median


@dataclass(frozen=True)
class Period:
    """What a report is about: the situation on ``on`` (the end of ``year``, or today), the
    people of one arrival year or all, in groups of ``breakdown``."""

    year: int
    on: date
    breakdown: Breakdown = Breakdown.SEX
    arrived: int | None = None

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)


def period_of(year: int, today: date, breakdown=Breakdown.SEX, arrived=None) -> Period:
    return Period(year, min(date(year, 12, 31), today), Breakdown(breakdown), arrived)


# -- what each person is, as SQL over the kept rows -----------------------------------------


def _year(column):
    return sa.cast(sa.extract("year", column), sa.Integer)


def born_by(on: date, years: int) -> date:
    """The last birthday of someone who is ``years`` old on ``on`` (29 February: the 28th)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def aged(born, on: date, low: int, high: int | None = None):
    """``born`` (a date of birth column) makes the person ``low`` to ``high`` years old on
    ``on``: plain date comparisons, which an index or a scan answers without arithmetic."""
    condition = born <= born_by(on, low)
    if high is not None:
        condition &= born > born_by(on, high + 1)
    return condition


def months_between(start, end):
    """Whole months from ``start`` to ``end`` (both date columns)."""
    return (
        (_year(end) - _year(start)) * 12
        + sa.cast(sa.extract("month", end), sa.Integer)
        - sa.cast(sa.extract("month", start), sa.Integer)
        - sa.case(
            (
                sa.cast(sa.extract("day", end), sa.Integer)
                < sa.cast(sa.extract("day", start), sa.Integer),
                1,
            ),
            else_=0,
        )
    )


ARRIVAL = F.arrived_on


def _group_of(breakdown: Breakdown, on: date):
    if breakdown == Breakdown.SEX:
        return F.sex
    if breakdown == Breakdown.AGE:
        return sa.case(
            *(
                (F.date_of_birth > born_by(on, high + 1), low)
                for low, high in AGE_BANDS
                if high is not None
            ),
            else_=AGE_BANDS[-1][0],
        )
    if breakdown == Breakdown.COUNTRY:
        return func.coalesce(F.country_of_birth, "")
    if breakdown == Breakdown.RESIDENCE:
        return F.residence_category
    return func.coalesce(_year(ARRIVAL), 0)


def group_label(breakdown: Breakdown, key) -> str:
    if breakdown == Breakdown.SEX:
        return Sex(key).label
    if breakdown == Breakdown.RESIDENCE:
        return ResidenceCategory(key).label
    if breakdown == Breakdown.COUNTRY:
        return country_name(key) if key else _("Not recorded")
    if breakdown == Breakdown.ARRIVAL_YEAR:
        return local_digits(key) if key else _("Not recorded")
    low, high = next(band for band in AGE_BANDS if band[0] == key)
    if high is None:
        return _("%(age)s and over", age=format_number(low))
    if low == 0:
        return _("Under %(age)s", age=format_number(high + 1))
    return _("%(low)s to %(high)s", low=format_number(low), high=format_number(high))


def _group_order(breakdown: Breakdown, keys) -> list:
    if breakdown == Breakdown.SEX:
        return [sex.value for sex in Sex if sex.value in keys]
    if breakdown == Breakdown.RESIDENCE:
        return [category.value for category in ResidenceCategory if category.value in keys]
    if breakdown == Breakdown.COUNTRY:
        return sorted(keys, key=lambda key: (not key, group_label(breakdown, key)))
    if breakdown == Breakdown.ARRIVAL_YEAR:
        return sorted(keys, key=lambda key: (not key, key))
    return sorted(keys)


def statistics_consent(on: date):
    return sa.exists().where(
        Consent.case_id == F.case_id,
        Consent.purpose == ConsentPurpose.STATISTICS,
        Consent.given_on <= on,
        sa.or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > on),
    )


def _in_population(municipality: Municipality, period: Period, *, consent: bool = True):
    """The people a report counts: files of the municipality opened by the day and not
    closed before it, of the arrival year asked for, with consent where it is required."""
    end = datetime.combine(
        period.on + timedelta(days=1), time(), tzinfo=ZoneInfo(municipality.timezone)
    )
    conditions = [
        F.municipality_id == municipality.id,
        F.created_at < end,
        sa.or_(F.status == CaseStatus.ACTIVE, F.closed_on.is_(None), F.closed_on > period.on),
    ]
    if period.arrived:
        conditions.append(_year(ARRIVAL) == period.arrived)
    if consent and municipality.report_needs_consent:
        conditions.append(statistics_consent(period.on))
    return sa.and_(*conditions)


def left_out(municipality: Municipality, period: Period) -> int | None:
    """How many people the consent setting leaves out of the report (None when it is off)."""
    if not municipality.report_needs_consent:
        return None
    return db.session.scalar(
        select(func.count(F.case_id)).where(
            _in_population(municipality, period, consent=False), ~statistics_consent(period.on)
        )
    )


# -- the indicator tables ----------------------------------------------------------------------


def _rate(name, label, definition, numerator, denominator):
    return Column(name, label, definition), numerator, denominator


def _indicators(person, on: date):
    """The indicator columns of each family, with their SQL numerator and denominator over
    ``person`` (one row per person: age, status, occupation group, education, housing...)."""
    born = person.c.born
    status = person.c.activity
    isced = person.c.level
    housing = person.c.housing
    aged_20_64 = aged(born, on, 20, 64)
    aged_25_64 = aged(born, on, 25, 64)
    working = status.in_(WORKING)
    tertiary = isced >= 5
    holds = {name: person.c[name] for name in HELD}
    return {
        "employment": (
            _l("Employment"),
            [
                _rate(
                    "employment_rate",
                    _l("Employment rate"),
                    _l("Employed or self-employed people aged 20–64, of all aged 20–64."),
                    aged_20_64 & working,
                    aged_20_64,
                ),
                _rate(
                    "unemployment_rate",
                    _l("Unemployment rate"),
                    _l("Unemployed and seeking work, of those employed or unemployed, aged 20–64."),
                    aged_20_64 & (status == ActivityStatus.UNEMPLOYED),
                    aged_20_64 & status.in_(ACTIVE),
                ),
                _rate(
                    "activity_rate",
                    _l("Activity rate"),
                    _l("Employed or unemployed people aged 20–64, of all aged 20–64."),
                    aged_20_64 & status.in_(ACTIVE),
                    aged_20_64,
                ),
                _rate(
                    "over_qualification",
                    _l("Over-qualification rate"),
                    _l(
                        "Employed people aged 20–64 with tertiary education (ISCED 5–8) working "
                        "in ISCO-08 major groups 4–9, of all employed with tertiary education."
                    ),
                    aged_20_64 & working & tertiary & person.c.isco_major.in_(list("456789")),
                    aged_20_64 & working & tertiary,
                ),
            ],
        ),
        "education": (
            _l("Education"),
            [
                _rate(
                    f"attainment_{name}",
                    label,
                    _l(
                        "People aged 25–64 whose highest level is %(levels)s, of all aged 25–64 "
                        "with a recorded level.",
                        levels=levels,
                    ),
                    aged_25_64 & isced.between(low, high),
                    aged_25_64 & isced.is_not(None),
                )
                for name, label, levels, low, high in (
                    ("low", _l("Highest level ISCED 0–2"), "ISCED 0–2", 0, 2),
                    ("medium", _l("Highest level ISCED 3–4"), "ISCED 3–4", 3, 4),
                    ("high", _l("Highest level ISCED 5–8"), "ISCED 5–8", 5, 8),
                )
            ]
            + [
                _rate(
                    "in_education_18_24",
                    _l("In education or training, aged 18–24"),
                    _l("People aged 18–24 in education or vocational training, of all aged 18–24."),
                    aged(born, on, 18, 24) & status.in_(LEARNING),
                    aged(born, on, 18, 24),
                ),
                _rate(
                    "in_education",
                    _l("In education or training, all ages"),
                    _l("People in education or vocational training, of everyone counted."),
                    status.in_(LEARNING),
                    sa.true(),
                ),
            ],
        ),
        "inclusion": (
            _l("Social inclusion"),
            [
                _rate(
                    "temporary_housing",
                    _l("In temporary housing"),
                    _l(
                        "People in a reception centre, temporary accommodation or homeless, of "
                        "those whose housing is recorded."
                    ),
                    housing.in_(TEMPORARY_HOUSING),
                    housing.is_not(None),
                ),
                _rate(
                    "health_insurance",
                    _l("Registered with health insurance"),
                    _l("People registered with health insurance, of everyone counted."),
                    holds["health_insurance"],
                    sa.true(),
                ),
                _rate(
                    "general_practitioner",
                    _l("Registered with a general practitioner"),
                    _l("People registered with a general practitioner, of everyone counted."),
                    holds["general_practitioner"],
                    sa.true(),
                ),
            ],
        ),
        "citizenship": (
            _l("Active citizenship"),
            [
                _rate(
                    "long_term_residence",
                    _l("Long-term residence permit"),
                    _l("People holding a long-term residence permit, of everyone counted."),
                    holds["long_term_residence"],
                    sa.true(),
                ),
                _rate(
                    "naturalised",
                    _l("Naturalised"),
                    _l("People who acquired citizenship, of everyone counted."),
                    holds["naturalised"],
                    sa.true(),
                ),
            ],
        ),
    }


FAMILIES = ("employment", "education", "inclusion", "citizenship")
# Figures of a row that are sums of the same people, hidden together (see suppression.py).
LINKED = {
    "employment": [{"employment_rate", "unemployment_rate", "activity_rate"}],
    "education": [{"attainment_low", "attainment_medium", "attainment_high"}],
    "inclusion": [],
    "citizenship": [],
    "language": [{"a2_people", "a2_median"}, {"b1_people", "b1_median"}],
}


def _count_if(condition):
    # COUNT(*) FILTER is cheaper than SUM(CASE ...) on PostgreSQL (SQLite has it since 3.30).
    return func.count().filter(condition)


def indicator_tables(municipality: Municipality, period: Period, today: date) -> list[Table]:
    """The four indicator families as tables: one query for all of them, over the kept
    rows for today, joined to what held on the day for an earlier one."""
    on = period.on
    person = select(
        _group_of(period.breakdown, on).label("grp"),
        F.date_of_birth.label("born"),
        F.isced_level.label("level"),
    ).select_from(F)
    if on == today:  # what held today is kept on the row
        person = person.add_columns(
            F.activity, F.isco_major, F.housing, *(getattr(F, name) for name in HELD)
        )
    else:
        person = with_situation(person, F.case_id, on)
    person = person.where(_in_population(municipality, period)).subquery()
    families = _indicators(person, on)
    columns = [person.c.grp, func.count().label("people")]
    for family in FAMILIES:
        for column, numerator, denominator in families[family][1]:
            columns += [
                _count_if(numerator).label(f"{column.key}_n"),
                _count_if(denominator).label(f"{column.key}_d"),
            ]
    query = select(*columns).group_by(person.c.grp)
    results = {row.grp: row for row in db.session.execute(query)}
    tables = []
    for family in FAMILIES:
        title, indicators = families[family]
        table_columns = [column for column, _n, _d in indicators]
        rows = [
            Row(
                key,
                group_label(period.breakdown, key),
                {
                    column.key: Cell(
                        int(getattr(results[key], f"{column.key}_n") or 0),
                        int(getattr(results[key], f"{column.key}_d") or 0),
                    )
                    for column in table_columns
                },
                people=results[key].people,
            )
            for key in _group_order(period.breakdown, set(results))
        ]
        tables.append(
            _with_total(family, str(title), table_columns, rows, municipality, LINKED[family])
        )
    return tables


def _with_total(key, title, columns, rows: list[Row], municipality, linked) -> Table:
    total = Row(
        None,
        _("All"),
        {
            column.key: Cell(
                sum(row.cells[column.key].count for row in rows),
                None
                if column.kind != "rate"
                else sum(row.cells[column.key].base or 0 for row in rows),
            )
            for column in columns
            if column.kind != "median"
        },
        people=sum(row.people for row in rows),
        total=True,
    )
    table = Table(key, title, columns, [total, *rows])
    protect(table.rows, municipality.report_threshold, linked)
    return table


# -- programme results -------------------------------------------------------------------------


def _median_from(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}."""
    size = sum(histogram.values())
    if not size:
        return None
    values = sorted(histogram)
    middle = []
    seen = 0
    for value in values:
        seen += histogram[value]
        while len(middle) < 2 and seen > (size - 1) // 2 + len(middle):
            middle.append(value)
        if len(middle) == 2 or (size % 2 and middle):
            break
    if size % 2:
        return float(middle[0])
    return (middle[0] + middle[1]) / 2


def language_table(municipality: Municipality, period: Period) -> Table:
    """People who reached A2 and B1 in every skill of the host language during the period,
    and the median months from arrival: one query, a histogram of both levels."""
    group = _group_of(period.breakdown, period.on).label("grp")
    columns = [group]
    level_columns = []
    for level, reached_on in (
        ("a2", F.a2_reached_on),
        ("b1", F.b1_reached_on),
    ):
        in_period = reached_on.between(period.start, period.on) & ARRIVAL.is_not(None)
        months = sa.case((in_period, months_between(ARRIVAL, reached_on)), else_=None)
        columns.append(months.label(f"{level}_months"))
        level_columns.append(level)
    inner = select(*columns).select_from(F).where(_in_population(municipality, period)).subquery()
    # One pass: how many people took each pair of months to A2 and to B1, summed per level.
    months = [inner.c[f"{level}_months"] for level in level_columns]
    histograms: dict = {}
    for group_key, *months_to, count in db.session.execute(
        select(inner.c.grp, *months, func.count())
        .where(sa.or_(*(column.is_not(None) for column in months)))
        .group_by(inner.c.grp, *months)
    ):
        for level, months_in in zip(level_columns, months_to, strict=True):
            if months_in is not None:
                histogram = histograms.setdefault(group_key, {}).setdefault(level, {})
                histogram[max(months_in, 0)] = histogram.get(max(months_in, 0), 0) + count
    table_columns = [
        Column(
            "a2_people",
            _l("Reached A2"),
            _l("People who reached A2 in every skill of the host language in the period."),
            "count",
        ),
        Column(
            "a2_median",
            _l("Median months to A2"),
            _l("Median whole months from arrival in the country to A2 in every skill."),
            "median",
        ),
        Column(
            "b1_people",
            _l("Reached B1"),
            _l("People who reached B1 in every skill of the host language in the period."),
            "count",
        ),
        Column(
            "b1_median",
            _l("Median months to B1"),
            _l("Median whole months from arrival in the country to B1 in every skill."),
            "median",
        ),
    ]

    def cells(histogram_of_group):
        result = {}
        for level in level_columns:
            histogram = histogram_of_group.get(level, {})
            people = sum(histogram.values())
            result[f"{level}_people"] = Cell(people)
            result[f"{level}_median"] = Cell(people, value=_median_from(histogram))
        return result

    rows = [
        Row(key, group_label(period.breakdown, key), cells(histograms[key]))
        for key in _group_order(period.breakdown, set(histograms))
    ]
    for row in rows:
        row.people = max(cell.count for cell in row.cells.values())
    everyone: dict = {}
    for per_group in histograms.values():
        for level, histogram in per_group.items():
            for months, count in histogram.items():
                bucket = everyone.setdefault(level, {})
                bucket[months] = bucket.get(months, 0) + count
    total = Row(None, _("All"), cells(everyone), total=True)
    total.people = max((cell.count for cell in total.cells.values()), default=0)
    table = Table("language", _("Time to A2 and B1"), table_columns, [total, *rows])
    protect(table.rows, municipality.report_threshold, LINKED["language"])
    return table


def course_table(municipality: Municipality, period: Period) -> Table:
    """Completion and attendance by course type, for courses that ran in the period, from
    the sums kept on each enrolment: one query."""
    query = (
        select(
            Course.course_type,
            func.count(Enrolment.id),
            _count_if(Enrolment.status.in_(ENDED)),
            _count_if(Enrolment.status == EnrolmentStatus.COMPLETED),
            func.coalesce(func.sum(Enrolment.marked_sessions), 0),
            func.coalesce(func.sum(Enrolment.attended_sessions), 0),
        )
        .select_from(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .join(F, F.case_id == Enrolment.case_id)
        .where(
            _in_population(municipality, period),
            Enrolment.status != EnrolmentStatus.WAITLISTED,
            Offering.start_date <= period.on,
            Offering.end_date >= period.start,
        )
        .group_by(Course.course_type)
    )
    results = {row[0]: row for row in db.session.execute(query)}
    table_columns = [
        Column(
            "participants",
            _l("Participants"),
            _l("People with a place on a course that ran in the period."),
            "count",
        ),
        Column(
            "completion",
            _l("Completion rate"),
            _l("Completed, of the places that ended (completed, not passed or dropped out)."),
            "rate",
        ),
        Column(
            "attendance",
            _l("Attendance rate"),
            _l("Sessions attended (present or late), of the sessions marked for them."),
            "rate",
        ),
    ]
    rows = []
    for course_type in CourseType:
        if course_type.value not in results:
            continue
        _type, people, ended, completed, marked, attended = results[course_type.value]
        rows.append(
            Row(
                course_type.value,
                course_type.label,
                {
                    "participants": Cell(people),
                    "completion": Cell(int(completed or 0), int(ended or 0)),
                    # Attendance is over sessions, not people: its size is the people's.
                    "attendance": Cell(people, value=attended / marked if marked else None),
                },
                people=people,
            )
        )
    # Course types are not groups of one population (a person takes several): no total row.
    table = Table("courses", _("Courses"), table_columns, rows)
    protect(table.rows, municipality.report_threshold)
    return table


def distribution_table(
    municipality: Municipality, period: Period, key: str, title, labels: dict, query
) -> Table:
    """A table of how many people are in each of ``labels`` (the rows add up to the total)."""
    counts = {row[0]: row[1] for row in db.session.execute(query)}
    columns = [
        Column("people", _l("People"), "", "count"),
        Column("share", _l("Share"), "", "rate"),
    ]
    total_people = sum(counts.values())
    rows = [
        Row(
            value,
            label,
            {
                "people": Cell(counts.get(value, 0)),
                "share": _share(counts.get(value, 0), total_people),
            },
            people=counts.get(value, 0),
        )
        for value, label in labels.items()
    ]
    total = Row(None, _("All"), {"people": Cell(total_people)}, people=total_people, total=True)
    table = Table(key, str(title), columns, [total, *rows])
    protect(table.rows, municipality.report_threshold)
    return table


def _share(count: int, of: int) -> Cell:
    """A share of a distribution: only its count can single anyone out (the others are rows
    of the same table, protected against differencing)."""
    return Cell(count, value=count / of if of else None)


def recognition_table(municipality: Municipality, period: Period) -> Table:
    query = (
        select(Qualification.recognition_state, func.count(Qualification.id))
        .join(F, F.case_id == Qualification.case_id)
        .where(
            _in_population(municipality, period),
            Qualification.recognition_state.in_(DECIDED),
        )
        .group_by(Qualification.recognition_state)
    )
    return distribution_table(
        municipality,
        period,
        "recognition",
        _("Recognition outcomes"),
        {state.value: state.label for state in DECIDED},
        query,
    )


def stage_table(municipality: Municipality, period: Period, today: date) -> Table:
    """People in each stage today and the median months since they entered it (the day of
    the move into it, kept on the row): one scan."""
    # Counted by day first (a few thousand groups), then by whole months: the date
    # arithmetic runs once a day, not once a person.
    by_day = (
        select(F.stage, F.stage_since.label("since"), func.count().label("people"))
        .where(F.stage_since.is_not(None), _in_population(municipality, period))
        .group_by(F.stage, F.stage_since)
        .subquery()
    )
    months = months_between(by_day.c.since, sa.literal(today, sa.Date))
    query = select(by_day.c.stage, months, func.sum(by_day.c.people)).group_by(
        by_day.c.stage, months
    )
    histograms: dict = {}
    for stage, months_in, count in db.session.execute(query):
        histograms.setdefault(stage, {})[max(months_in, 0)] = int(count)
    counts = {stage: sum(histogram.values()) for stage, histogram in histograms.items()}
    total_people = sum(counts.values())
    columns = [
        Column("people", _l("People"), "", "count"),
        Column("share", _l("Share"), "", "rate"),
        Column(
            "median",
            _l("Median months in this stage"),
            _l("Median whole months since the person entered the stage they are in."),
            "median",
        ),
    ]
    rows = [
        Row(
            stage.value,
            stage.label,
            {
                "people": Cell(counts.get(stage.value, 0)),
                "share": _share(counts.get(stage.value, 0), total_people),
                "median": Cell(
                    counts.get(stage.value, 0), value=_median_from(histograms.get(stage.value, {}))
                ),
            },
            people=counts.get(stage.value, 0),
        )
        for stage in Stage
    ]
    total = Row(None, _("All"), {"people": Cell(total_people)}, people=total_people, total=True)
    table = Table("stages", _("Stage now and time in it"), columns, [total, *rows])
    protect(table.rows, municipality.report_threshold)
    return table


# -- cohorts -----------------------------------------------------------------------------------


def cohort_tables(municipality: Municipality, period: Period) -> list[Table]:
    """Each arrival year followed 6, 12, 24 and 36 months after arrival: who is in work or
    education, at A2 and at B1, and in which stage. One query over the kept rows, which hold
    the four days and what held on each, summed per arrival year."""
    person = (
        select(
            _year(ARRIVAL).label("cohort"),
            F.a2_reached_on.label("a2"),
            F.b1_reached_on.label("b1"),
            *(
                getattr(F, f"{column}_{months}")
                for column in ("day", "activity", "stage")
                for months in COHORT_MONTHS
            ),
        )
        .where(
            _in_population(municipality, period),
            ARRIVAL.is_not(None),
            getattr(F, f"day_{COHORT_MONTHS[0]}") <= period.on,
        )
        .subquery()
    )
    in_work = [status.value for status in WORKING + LEARNING]
    sums = []
    for months in COHORT_MONTHS:
        day = person.c[f"day_{months}"]
        followed = day <= period.on
        sums += [
            _count_if(followed),
            _count_if(followed & (person.c.a2 <= day)),
            _count_if(followed & (person.c.b1 <= day)),
            _count_if(followed & person.c[f"activity_{months}"].in_(in_work)),
            *(
                _count_if(followed & (person.c[f"stage_{months}"] == stage.value))
                for stage in Stage
            ),
        ]
    counted = {
        year: [int(value or 0) for value in counts]
        for year, *counts in db.session.execute(
            select(person.c.cohort, *sums).group_by(person.c.cohort)
        )
    }
    table_columns = [
        Column(
            "followed",
            _l("People followed"),
            _l("People of the arrival year who arrived at least this long ago."),
            "count",
        ),
        Column(
            "work",
            _l("In work or education"),
            _l("Employed, self-employed, in education or in vocational training at that point."),
            "rate",
        ),
        Column(
            "a2",
            _l("At A2"),
            _l("A2 or above in every skill of the host language by that point."),
            "rate",
        ),
        Column(
            "b1",
            _l("At B1"),
            _l("B1 or above in every skill of the host language by that point."),
            "rate",
        ),
        *(Column(f"stage_{stage.value}", stage.label, "", "rate") for stage in Stage),
    ]
    tables = []
    per_day = 4 + len(Stage)
    for index, months in enumerate(COHORT_MONTHS):
        rows = []
        for year in sorted(counted):
            followed_count, a2, b1, work_count, *stage_counts = counted[year][
                index * per_day : (index + 1) * per_day
            ]
            if not followed_count:
                continue
            cells = {
                "followed": Cell(followed_count),
                "work": Cell(work_count, followed_count),
                "a2": Cell(a2, followed_count),
                "b1": Cell(b1, followed_count),
            }
            for stage, count in zip(Stage, stage_counts, strict=True):
                cells[f"stage_{stage.value}"] = _share(count, followed_count)
            rows.append(Row(year, local_digits(year), cells, people=followed_count))
        title = _("%(months)s months after arrival", months=format_number(months))
        table = Table(f"cohort_{months}", title, table_columns, rows)
        # Each row is its own arrival year, with no total across them: only primary cells.
        protect(table.rows, municipality.report_threshold)
        tables.append(table)
    return tables


@dataclass
class Report:
    period: Period
    threshold: int
    left_out: int | None
    families: list[Table]
    language: Table
    courses: Table
    recognition: Table
    stages: Table
    cohorts: list[Table]

    @property
    def tables(self) -> list[Table]:
        return [
            *self.families,
            self.language,
            self.courses,
            self.recognition,
            self.stages,
            *self.cohorts,
        ]

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


def build_report(municipality: Municipality, period: Period, today: date) -> Report:
    """Every table of the dashboard, in a fixed number of queries."""
    keep_current(municipality)
    if db.session.get_bind().dialect.name == "postgresql":
        # Pages run without parallel workers (extensions._configure_postgresql); the
        # dashboard counts every file of the town, and two workers halve it: one reader
        # at 1,000,000 files waited 2.7 s with them and 5.1 s without. LOCAL: until commit.
        db.session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 2"))
    return Report(
        period,
        municipality.report_threshold,
        left_out(municipality, period),
        indicator_tables(municipality, period, today),
        language_table(municipality, period),
        course_table(municipality, period),
        recognition_table(municipality, period),
        stage_table(municipality, period, today),
        cohort_tables(municipality, period),
    )


# -- settings ----------------------------------------------------------------------------------

THRESHOLDS = range(3, 51)


def set_report_settings(
    municipality: Municipality, threshold: int, needs_consent: bool, actor: User
) -> None:
    """Keep the smallest group a report may show and whether it counts only the people who
    agreed to statistics; a change goes to the audit trail.

    :raise RuleBroken: for a threshold below 3 or above 50.
    """
    if threshold not in THRESHOLDS:
        raise RuleBroken(_l("Choose between 3 and 50 people."), "threshold")
    changes = {}
    if threshold != municipality.report_threshold:
        changes["report_threshold"] = [municipality.report_threshold, threshold]
    if needs_consent != municipality.report_needs_consent:
        changes["report_needs_consent"] = [municipality.report_needs_consent, needs_consent]
    if changes:
        record_event("report_settings_changed", actor=actor, changes=changes)
    municipality.report_threshold = threshold
    municipality.report_needs_consent = needs_consent
