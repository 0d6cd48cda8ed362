"""Rules for assessments: CEFR levels, recognition procedures, the skills profile and
employment status. Services flush, never commit, and audit every write."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Municipality, User
from ..audit import record_event
from ..cases.models import Case
from ..errors import RuleBroken
from ..extensions import db, read_once, utcnow
from ..history import keep_valid_until
from .models import (
    PARTICIPATION_NEEDS,
    ActivityStatus,
    AssessmentSource,
    CefrLevel,
    CompensationMeasure,
    EducationEntry,
    EmploymentStatus,
    IscoGroup,
    LanguageAssessment,
    LanguageSkill,
    LanguageStanding,
    MeasureKind,
    MeasureStatus,
    Qualification,
    RecognitionState,
    RecognitionStep,
    SkillsProfile,
    WorkExperience,
)


def _today(case: Case) -> date:
    """Today in the case's municipality."""
    return db.session.get(Municipality, case.municipality_id).today()


# -- CEFR levels ----------------------------------------------------------------------------


@dataclass
class AssessmentData:
    language: str
    skills: list[LanguageSkill]  # one skill, or all five recorded at once
    level: CefrLevel
    assessed_on: date
    source: AssessmentSource
    certificate_number: str | None = None
    certificate_issuer: str | None = None
    organisation: str | None = None
    note: str | None = None


def _latest_first(*partition):
    return func.row_number().over(
        partition_by=partition,
        order_by=(LanguageAssessment.assessed_on.desc(), LanguageAssessment.id.desc()),
    )


def _mark_current(case_id: int, language: str) -> None:
    """Mark the latest assessment per skill of ``language`` (by date, then id) as current,
    and sum the current levels up in the case's standing in that language."""
    ranked = (
        select(LanguageAssessment.id, _latest_first(LanguageAssessment.skill).label("place"))
        .where(LanguageAssessment.case_id == case_id, LanguageAssessment.language == language)
        .subquery()
    )
    latest = select(ranked.c.id).where(ranked.c.place == 1)
    db.session.execute(
        sa.update(LanguageAssessment)
        .where(LanguageAssessment.case_id == case_id, LanguageAssessment.language == language)
        .values(current=LanguageAssessment.id.in_(latest))
        .execution_options(synchronize_session=False)
    )
    skills, lowest, highest, completed_on = db.session.execute(
        select(
            func.count(),
            func.min(LanguageAssessment.level_rank),
            func.max(LanguageAssessment.level_rank),
            func.max(LanguageAssessment.assessed_on),
        ).where(
            LanguageAssessment.case_id == case_id,
            LanguageAssessment.language == language,
            LanguageAssessment.current.is_(True),
        )
    ).one()
    standing = db.session.get(LanguageStanding, (case_id, language))
    if standing is None:
        standing = LanguageStanding(case_id=case_id, language=language)
        db.session.add(standing)
    standing.skills, standing.lowest_rank, standing.highest_rank = skills, lowest, highest
    # The first time every skill stands at A2 (B1) is kept: the day the last of them got there.
    if skills == len(LanguageSkill):
        if lowest >= CefrLevel.A2.rank and standing.a2_reached_on is None:
            standing.a2_reached_on = completed_on
        if lowest >= CefrLevel.B1.rank and standing.b1_reached_on is None:
            standing.b1_reached_on = completed_on


def record_assessment(case: Case, data: AssessmentData, actor: User) -> list[LanguageAssessment]:
    """Record a CEFR level for one skill or all five, as of ``assessed_on``.

    :raise RuleBroken: for a certified exam without its certificate number, or a future date.
    """
    if (
        data.source == AssessmentSource.CERTIFIED_EXAM
        and not (data.certificate_number or "").strip()
    ):
        raise RuleBroken(_l("A certified exam needs the certificate number."), "certificate_number")
    if data.assessed_on > _today(case):
        raise RuleBroken(_l("This date cannot be in the future."), "assessed_on")
    if not data.skills:
        raise RuleBroken(_l("Choose a skill."), "skill")
    certified = data.source == AssessmentSource.CERTIFIED_EXAM
    recorded_at = utcnow()  # one time for the skills recorded together
    rows = [
        LanguageAssessment(
            case_id=case.id,
            language=data.language,
            skill=skill,
            level=data.level,
            level_rank=data.level.rank,
            assessed_on=data.assessed_on,
            source=data.source,
            certificate_number=(data.certificate_number or "").strip() or None
            if certified
            else None,
            certificate_issuer=(data.certificate_issuer or "").strip() or None
            if certified
            else None,
            organisation=(data.organisation or "").strip() or None,
            note=(data.note or "").strip() or None,
            recorded_by_id=actor.id,
            recorded_at=recorded_at,
        )
        for skill in data.skills
    ]
    db.session.add_all(rows)
    db.session.flush()
    _mark_current(case.id, data.language)
    record_event(
        "language_level_recorded",
        case,
        actor=actor,
        changes={
            "language": [None, data.language],
            "skill": [None, data.skills[0].value if len(data.skills) == 1 else "all"],
            "level": [None, data.level.value],
            "source": [None, data.source.value],
            "assessed_on": [None, data.assessed_on.isoformat()],
        },
    )
    return rows


@dataclass
class LanguageLevels:
    language: str
    current: dict[LanguageSkill, LanguageAssessment]
    history: list[LanguageAssessment]

    @property
    def recorded(self) -> list[tuple[LanguageAssessment, list[LanguageSkill]]]:
        """The history as it was recorded: skills assessed together (same date, level and
        source) on one line, oldest first."""
        lines: list[tuple[LanguageAssessment, list[LanguageSkill]]] = []
        for row in self.history:
            last = lines[-1][0] if lines else None
            if last is not None and (
                last.assessed_on,
                last.level,
                last.source,
                last.certificate_number,
                last.recorded_at,
            ) == (row.assessed_on, row.level, row.source, row.certificate_number, row.recorded_at):
                lines[-1][1].append(row.skill)
            else:
                lines.append((row, [row.skill]))
        return lines


def language_levels(case: Case, host_language: str) -> list[LanguageLevels]:
    """Each assessed language of the case (the host language first) with its current level
    per skill and its history, oldest first: one query whatever the number of assessments."""
    # The case page asks twice (the languages section, the course suggestions): read once.
    rows = read_once(
        ("language_assessments", case.id),
        lambda: list(
            db.session.scalars(
                select(LanguageAssessment)
                .where(LanguageAssessment.case_id == case.id)
                .order_by(LanguageAssessment.assessed_on, LanguageAssessment.id)
            )
        ),
    )
    by_language: dict[str, LanguageLevels] = {}
    for row in rows:
        levels = by_language.setdefault(row.language, LanguageLevels(row.language, {}, []))
        levels.history.append(row)
        if row.current:
            levels.current[row.skill] = row
    return sorted(by_language.values(), key=lambda levels: levels.language != host_language)


def at_least_in_every_skill(
    language: str,
    lowest: CefrLevel,
    highest: CefrLevel = CefrLevel.C2,
    skill: LanguageSkill | None = None,
):
    """The ids of cases whose current level in ``language`` lies in [lowest, highest] in
    every skill (or in ``skill``): one subquery on one index (the standings, or the current
    levels for one skill)."""
    if skill is not None:
        return select(LanguageAssessment.case_id).where(
            LanguageAssessment.language == language,
            LanguageAssessment.current.is_(True),
            LanguageAssessment.skill == skill,
            LanguageAssessment.level_rank.between(lowest.rank, highest.rank),
        )
    return select(LanguageStanding.case_id).where(
        LanguageStanding.language == language,
        LanguageStanding.skills == len(LanguageSkill),
        LanguageStanding.lowest_rank >= lowest.rank,
        LanguageStanding.highest_rank <= highest.rank,
    )


# -- qualifications and recognition ---------------------------------------------------------

S = RecognitionState
# Where a procedure may go from each state (DESIGN.md section 2). A refused decision can be
# submitted again (an appeal or a new application).
TRANSITIONS: dict[RecognitionState, set[RecognitionState]] = {
    S.NOT_STARTED: {S.SUBMITTED},
    S.SUBMITTED: {S.IN_ASSESSMENT},
    S.IN_ASSESSMENT: {
        S.RECOGNISED,
        S.PARTIALLY_RECOGNISED,
        S.COMPARABILITY_STATEMENT,
        S.NOT_RECOGNISED,
    },
    S.PARTIALLY_RECOGNISED: {S.RECOGNISED, S.NOT_RECOGNISED},
    S.RECOGNISED: set(),
    S.COMPARABILITY_STATEMENT: set(),
    S.NOT_RECOGNISED: {S.SUBMITTED},
}
DECISIONS = {S.RECOGNISED, S.PARTIALLY_RECOGNISED, S.COMPARABILITY_STATEMENT, S.NOT_RECOGNISED}


def add_qualification(case: Case, values: dict, actor: User) -> Qualification:
    """Record a foreign qualification; its recognition procedure starts as not started."""
    if values.get("year") and values["year"] > _today(case).year:
        raise RuleBroken(_l("This date cannot be in the future."), "year")
    qualification = Qualification(case_id=case.id, **values)
    db.session.add(qualification)
    db.session.flush()
    record_event(
        "qualification_added", case, actor=actor, changes={"qualification": [None, values["title"]]}
    )
    return qualification


def next_states(qualification: Qualification) -> list[RecognitionState]:
    """The states the procedure may move to now, in the order of the enum."""
    allowed = TRANSITIONS[qualification.recognition_state]
    if qualification.regulated:
        allowed = allowed - {S.COMPARABILITY_STATEMENT}
    return [state for state in RecognitionState if state in allowed]


def move_recognition(
    qualification: Qualification,
    to_state: RecognitionState,
    on: date,
    actor: User,
    *,
    authority: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    measure: MeasureKind | None = None,
) -> RecognitionStep:
    """Move the recognition procedure to ``to_state`` and keep the step in its history.

    :raise RuleBroken: for a transition DESIGN.md does not allow, a comparability statement
        for a regulated profession, a partial recognition without a compensation measure, or
        a full recognition after a partial one while a measure is not completed.
    """
    from_state = qualification.recognition_state
    measures = db.session.scalars(
        select(CompensationMeasure).where(CompensationMeasure.qualification_id == qualification.id)
    ).all()
    if to_state not in TRANSITIONS[from_state]:
        raise RuleBroken(
            _l(
                "A procedure that is “%(from_state)s” cannot become “%(to_state)s”.",
                from_state=from_state.label,
                to_state=to_state.label,
            ),
            "to_state",
        )
    if to_state == S.COMPARABILITY_STATEMENT and qualification.regulated:
        raise RuleBroken(
            _l("A comparability statement is only for professions that are not regulated."),
            "to_state",
        )
    if to_state == S.PARTIALLY_RECOGNISED and measure is None and not measures:
        raise RuleBroken(
            _l("A partial recognition needs at least one compensation measure."), "measure"
        )
    if (
        from_state == S.PARTIALLY_RECOGNISED
        and to_state == S.RECOGNISED
        and any(item.status != MeasureStatus.COMPLETED for item in measures)
    ):
        raise RuleBroken(
            _l("Every compensation measure must be completed before full recognition."),
            "to_state",
        )
    if to_state in DECISIONS and not (authority or qualification.authority or "").strip():
        raise RuleBroken(_l("Name the competent authority that decided."), "authority")
    if on > _today(qualification_case(qualification)):
        raise RuleBroken(_l("This date cannot be in the future."), "on")
    qualification.recognition_state = to_state
    if authority:
        qualification.authority = authority.strip()
    if to_state == S.SUBMITTED:
        qualification.submitted_on = on
    if to_state in DECISIONS:
        qualification.decided_on = on
        qualification.decision = (note or "").strip() or None
        qualification.decision_reference = (reference or "").strip() or None
    if measure is not None:
        db.session.add(CompensationMeasure(qualification_id=qualification.id, kind=measure))
    step = RecognitionStep(
        qualification_id=qualification.id,
        from_state=from_state,
        to_state=to_state,
        on=on,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
    )
    db.session.add(step)
    db.session.flush()
    record_event(
        "recognition_moved",
        qualification_case(qualification),
        actor=actor,
        changes={
            "recognition_state": [from_state.value, to_state.value],
            **({"measure": [None, measure.value]} if measure else {}),
        },
    )
    return step


def qualification_case(qualification: Qualification) -> Case:
    return db.session.get(Case, qualification.case_id)


def set_measure_status(
    measure: CompensationMeasure, status: MeasureStatus, case: Case, actor: User
) -> None:
    if measure.status == status:
        return
    record_event(
        "compensation_measure_updated",
        case,
        actor=actor,
        changes={
            "measure": [None, measure.kind.value],
            "measure_status": [measure.status.value, status.value],
        },
    )
    measure.status = status
    db.session.flush()


def qualifications_of(case: Case) -> list[Qualification]:
    """The case's qualifications with their steps and measures: three queries in all."""
    return list(
        db.session.scalars(
            select(Qualification)
            .where(Qualification.case_id == case.id)
            .options(selectinload(Qualification.steps), selectinload(Qualification.measures))
            .order_by(Qualification.id)
        )
    )


# -- skills profile -------------------------------------------------------------------------

PROFILE_FIELDS = (
    "digital_skills",
    "driving_licences",
    "other_skills",
    "job_aspirations",
    *PARTICIPATION_NEEDS,
)


@dataclass
class Profile:
    profile: SkillsProfile | None
    education: list[EducationEntry] = field(default_factory=list)
    work: list[WorkExperience] = field(default_factory=list)

    @property
    def missing(self) -> list:
        """The parts of the profile still empty, by their labels."""
        profile = self.profile
        gaps = []
        if not self.education:
            gaps.append(_l("Education and training"))
        if not self.work:
            gaps.append(_l("Work experience"))
        if profile is None or profile.digital_skills is None:
            gaps.append(_l("Digital skills"))
        if profile is None or not profile.job_aspirations:
            gaps.append(_l("Job aspirations"))
        return gaps


def profile_of(case: Case) -> Profile:
    profile = db.session.scalar(select(SkillsProfile).where(SkillsProfile.case_id == case.id))
    education = db.session.scalars(
        select(EducationEntry).where(EducationEntry.case_id == case.id).order_by(EducationEntry.id)
    )
    work = db.session.scalars(
        select(WorkExperience)
        .where(WorkExperience.case_id == case.id)
        .options(joinedload(WorkExperience.occupation))
        .order_by(WorkExperience.id)
    )
    return Profile(profile, list(education), list(work))


def save_skills_profile(case: Case, values: dict, actor: User) -> SkillsProfile:
    """Save what is filled in of the profile; empty parts stay empty and show as missing."""
    profile = db.session.scalar(select(SkillsProfile).where(SkillsProfile.case_id == case.id))
    if profile is None:
        profile = SkillsProfile(case_id=case.id)
        db.session.add(profile)
    for name in PROFILE_FIELDS:
        setattr(profile, name, values.get(name))
    db.session.flush()
    record_event(
        "skills_profile_saved", case, actor=actor, changes={"skills_profile": [None, "saved"]}
    )
    return profile


def add_education(case: Case, values: dict, actor: User) -> EducationEntry:
    entry = EducationEntry(case_id=case.id, **values)
    db.session.add(entry)
    db.session.flush()
    record_event(
        "skills_profile_saved", case, actor=actor, changes={"skills_profile": [None, "education"]}
    )
    return entry


def _unit_group(code: str | None, field_name: str) -> IscoGroup:
    group = db.session.get(IscoGroup, code) if code else None
    if group is None or group.level != 4:
        raise RuleBroken(_l("Choose an occupation from the list."), field_name)
    return group


def add_work_experience(case: Case, values: dict, actor: User) -> WorkExperience:
    """Add work experience, its occupation an ISCO-08 unit group.

    :raise RuleBroken: when the code is not an ISCO-08 unit group.
    """
    group = _unit_group(values.get("isco_code"), "isco_code")
    entry = WorkExperience(case_id=case.id, isco_major=group.code[0], **values)
    db.session.add(entry)
    db.session.flush()
    record_event(
        "skills_profile_saved", case, actor=actor, changes={"occupation": [None, group.code]}
    )
    return entry


# -- employment and education status --------------------------------------------------------

WORKING = {ActivityStatus.EMPLOYED, ActivityStatus.SELF_EMPLOYED}


def record_employment_status(
    case: Case, status: ActivityStatus, since: date, isco_code: str | None, actor: User
) -> EmploymentStatus:
    """Record the status from ``since`` on; the latest by date (then id) is the current one.

    :raise RuleBroken: when an employed person has no ISCO occupation, or for a future date.
    """
    group = None
    if status == ActivityStatus.EMPLOYED or (status in WORKING and isco_code):
        group = _unit_group(isco_code, "isco_code")
    if since > _today(case):
        raise RuleBroken(_l("This date cannot be in the future."), "since")
    row = EmploymentStatus(
        case_id=case.id,
        status=status,
        since=since,
        isco_code=group.code if group else None,
        isco_major=group.code[0] if group else None,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    latest = (
        select(EmploymentStatus.id)
        .where(EmploymentStatus.case_id == case.id)
        .order_by(EmploymentStatus.since.desc(), EmploymentStatus.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(EmploymentStatus)
        .where(EmploymentStatus.case_id == case.id)
        .values(current=EmploymentStatus.id == latest)
        .execution_options(synchronize_session=False)
    )
    keep_valid_until(EmploymentStatus, case.id)
    record_event(
        "employment_status_recorded",
        case,
        actor=actor,
        changes={
            "employment": [None, status.value],
            **({"occupation": [None, group.code]} if group else {}),
        },
    )
    return row


def employment_history(case: Case) -> list[EmploymentStatus]:
    """The statuses of the case, latest first, with their occupations: one query."""
    return list(
        db.session.scalars(
            select(EmploymentStatus)
            .where(EmploymentStatus.case_id == case.id)
            .options(joinedload(EmploymentStatus.occupation))
            .order_by(EmploymentStatus.since.desc(), EmploymentStatus.id.desc())
        )
    )


def highest_isced_level(case: Case) -> int | None:
    """The highest ISCED 2011 level among the case's qualifications and education."""
    levels = sa.union_all(
        select(Qualification.isced_level.label("level")).where(Qualification.case_id == case.id),
        select(EducationEntry.isced_level.label("level")).where(EducationEntry.case_id == case.id),
    ).subquery()
    return db.session.scalar(select(func.max(levels.c.level)))


TERTIARY = 5  # ISCED 2011 levels 5-8
SKILLED_MAJOR_GROUPS = {"1", "2", "3"}  # managers, professionals, technicians (and the forces)


def is_over_qualified(case: Case, current: EmploymentStatus | None, on: date) -> bool:
    """The Zaragoza rule (DESIGN.md section 2): aged 20-64, tertiary education (ISCED 5-8),
    working in ISCO-08 major groups 4-9."""
    if current is None or current.status not in WORKING or current.isco_major is None:
        return False
    age = (
        on.year
        - case.date_of_birth.year
        - ((on.month, on.day) < (case.date_of_birth.month, case.date_of_birth.day))
    )
    if not 20 <= age <= 64:
        return False
    highest = highest_isced_level(case)
    return (
        highest is not None
        and highest >= TERTIARY
        and current.isco_major not in SKILLED_MAJOR_GROUPS | {"0"}
    )
