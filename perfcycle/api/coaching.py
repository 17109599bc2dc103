"""Coaching over the API: check-ins (agenda, notes, goal confidence, action items),
the observation log, competencies, feedback and praise, courses and training.

Thin: parse, ask the policy, call a service (``monitoring.checkins``, ``observations``,
``training``) or a selector (``monitoring.coaching``). Private check-in notes are in the
answer only for the employee's managers and HR; private observations are never listed
for the employee.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404, may
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.api.planning.common import api_field_names, cycle_ref, employee_ref, invalid
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring import checkins, coaching, observations, training
from perfcycle.monitoring.models import (
    CheckIn,
    CheckInStatus,
    Competency,
    Course,
    FeedbackKind,
    FeedbackVisibility,
    Observation,
    ObservationKind,
    ObservationVisibility,
    TrainingStatus,
)
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal

router = Router(tags=["coaching"])


def _competency_ref(pk: int | None, field: str = "competency_id") -> Competency | None:
    if pk is None:
        return None
    found = Competency.objects.filter(pk=pk).first()
    if found is None:
        raise invalid(field, _("Unknown competency."))
    return found


def _goal_ref(request: HttpRequest, pk: int | None, field: str = "goal_id") -> Goal | None:
    if pk is None:
        return None
    found = Goal.objects.select_related("cycle", "employee").filter(pk=pk).first()
    if found is None or not may(request.user, Action.GOAL_VIEW, found):
        raise invalid(field, _("Unknown goal."))
    return found


# Check-ins -----------------------------------------------------------------------------


class AgendaItemOut(Schema):
    id: int
    text: str
    author_id: int
    created_at: dt.datetime


class GoalNoteOut(Schema):
    goal_id: int
    goal_title: str = Field(..., alias="goal.title")
    comment: str
    confidence: int | None


class ActionItemOut(Schema):
    id: int
    employee_id: int
    checkin_id: int | None
    owner_id: int
    owner_name: str = Field(..., alias="owner.name")
    text: str
    due_date: dt.date | None
    done_at: dt.datetime | None


class CheckInOut(Schema):
    id: int
    cycle_id: int | None
    employee_id: int
    employee_name: str = Field(..., alias="employee.name")
    manager_id: int
    manager_name: str = Field(..., alias="manager.name")
    scheduled_for: dt.datetime
    status: CheckInStatus
    requested_by_id: int
    shared_notes: str
    held_at: dt.datetime | None
    version: int


class CheckInDetailOut(CheckInOut):
    private_notes: str | None = Field(
        ..., description="Only for the employee's managers and HR; null for everyone else."
    )
    agenda: list[AgendaItemOut]
    goal_notes: list[GoalNoteOut]
    action_items: list[ActionItemOut]
    carried_over: list[ActionItemOut] = Field(
        ..., description="Open action items of the pair from earlier check-ins."
    )

    @staticmethod
    def resolve_agenda(obj: CheckIn) -> list[Any]:
        return list(obj.agenda.all())

    @staticmethod
    def resolve_goal_notes(obj: CheckIn) -> list[Any]:
        return list(obj.goal_notes.all())

    @staticmethod
    def resolve_action_items(obj: CheckIn) -> list[Any]:
        return list(obj.action_items.all())


class CheckInIn(Schema):
    employee_id: int
    scheduled_for: dt.datetime
    cycle_id: int | None = Field(None, description="Defaults to the current open cycle.")
    agenda: list[str] = []


class CheckInRequestIn(Schema):
    proposed_for: dt.datetime | None = None
    topic: str = Field("", max_length=500)


class ConfirmIn(Schema):
    scheduled_for: dt.datetime
    version: int


class VersionIn(Schema):
    version: int
    reason: str = ""


class NotesIn(Schema):
    version: int
    shared_notes: str | None = None
    private_notes: str | None = None


class TextIn(Schema):
    text: str = Field(..., max_length=500)


class GoalNoteIn(Schema):
    comment: str = ""
    confidence: int | None = Field(None, ge=0, le=10)


class ActionItemIn(Schema):
    text: str = Field(..., max_length=500)
    owner_id: int | None = Field(None, description="The employee (default) or the manager.")
    due_date: dt.date | None = None


class ActionItemDoneIn(Schema):
    done: bool = True


class CheckInFilters(Schema):
    employee_id: int | None = None
    status: CheckInStatus | None = None


def _checkin(request: HttpRequest, checkin_id: int) -> CheckIn:
    return get_visible_or_404(
        request.user,
        Action.CHECKIN_VIEW,
        coaching.checkin_details(coaching.visible_checkins(request.user)),
        pk=checkin_id,
    )


def _checkin_out(request: HttpRequest, checkin_id: int) -> CheckIn:
    """The check-in as answered: private notes blanked out (null) for the employee."""
    checkin = _checkin(request, checkin_id)
    if not may(request.user, Action.CHECKIN_PRIVATE_NOTES, checkin):
        checkin.private_notes = None  # type: ignore[assignment]  # never saved
    checkin.carried_over = list(  # type: ignore[attr-defined]
        coaching.open_action_items(
            employee=checkin.employee, manager=checkin.manager, exclude_checkin=checkin
        )
    )
    return checkin


@router.get("/checkins", response=list[CheckInOut], summary="Check-ins you may see")
@paginate(Page)
def list_checkins(request: HttpRequest, filters: Query[CheckInFilters]) -> Any:
    qs = coaching.visible_checkins(request.user)
    if filters.employee_id is not None:
        qs = qs.filter(employee_id=filters.employee_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-scheduled_for", "-id")


@router.post(
    "/checkins",
    response={201: CheckInDetailOut, **ERRORS},
    summary="Schedule a check-in with a report (managers, HR)",
)
def schedule_checkin(request: HttpRequest, payload: CheckInIn) -> Any:
    employee = employee_ref(request, payload.employee_id, "employee_id")
    require(request, Action.CHECKIN_SCHEDULE, employee)
    cycle = (
        cycle_ref(request, payload.cycle_id)
        if payload.cycle_id is not None
        else Cycle.objects.current()
    )
    with api_field_names():
        checkin = checkins.checkin_schedule(
            actor=request.user,
            employee=employee,
            scheduled_for=payload.scheduled_for,
            cycle=cycle,
            agenda=payload.agenda,
        )
    return 201, _checkin_out(request, checkin.pk)


@router.post(
    "/checkins/request",
    response={201: CheckInDetailOut, **ERRORS},
    summary="Ask your manager for a check-in; they confirm a time",
)
def request_checkin(request: HttpRequest, payload: CheckInRequestIn) -> Any:
    me = acting_employee(request.user)
    if me is None:
        raise Http404
    require(request, Action.CHECKIN_REQUEST, me)
    checkin = checkins.checkin_request(
        actor=request.user,
        employee=me,
        proposed_for=payload.proposed_for,
        topic=payload.topic,
        cycle=Cycle.objects.current(),
    )
    return 201, _checkin_out(request, checkin.pk)


@router.get(
    "/checkins/{int:checkin_id}",
    response={200: CheckInDetailOut, **ERRORS},
    summary="One check-in with agenda, goal notes and action items",
)
def get_checkin(request: HttpRequest, checkin_id: int) -> Any:
    return _checkin_out(request, checkin_id)


@router.post("/checkins/{int:checkin_id}/confirm", response={200: CheckInDetailOut, **ERRORS})
def confirm_checkin(request: HttpRequest, checkin_id: int, payload: ConfirmIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_SCHEDULE, checkin)
    checkins.checkin_confirm(
        actor=request.user,
        checkin=checkin,
        scheduled_for=payload.scheduled_for,
        expected_version=payload.version,
    )
    return _checkin_out(request, checkin_id)


@router.post("/checkins/{int:checkin_id}/held", response={200: CheckInDetailOut, **ERRORS})
def hold_checkin(request: HttpRequest, checkin_id: int, payload: VersionIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_SCHEDULE, checkin)
    checkins.checkin_mark_held(
        actor=request.user, checkin=checkin, expected_version=payload.version
    )
    return _checkin_out(request, checkin_id)


@router.post("/checkins/{int:checkin_id}/cancel", response={200: CheckInDetailOut, **ERRORS})
def cancel_checkin(request: HttpRequest, checkin_id: int, payload: VersionIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    checkins.checkin_cancel(
        actor=request.user, checkin=checkin, reason=payload.reason, expected_version=payload.version
    )
    return _checkin_out(request, checkin_id)


@router.patch(
    "/checkins/{int:checkin_id}/notes",
    response={200: CheckInDetailOut, **ERRORS},
    summary="Shared notes (both sides) and private notes (managers and HR)",
)
def update_notes(request: HttpRequest, checkin_id: int, payload: NotesIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    if payload.private_notes is not None:
        require(request, Action.CHECKIN_PRIVATE_NOTES, checkin)
    checkins.checkin_update_notes(
        actor=request.user,
        checkin=checkin,
        shared_notes=payload.shared_notes,
        private_notes=payload.private_notes,
        expected_version=payload.version,
    )
    return _checkin_out(request, checkin_id)


@router.post("/checkins/{int:checkin_id}/agenda", response={201: AgendaItemOut, **ERRORS})
def add_agenda_item(request: HttpRequest, checkin_id: int, payload: TextIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    return 201, checkins.agenda_item_add(actor=request.user, checkin=checkin, text=payload.text)


@router.put(
    "/checkins/{int:checkin_id}/goals/{int:goal_id}",
    response={200: GoalNoteOut, **ERRORS},
    summary="A progress comment and confidence (0–10) on one of the employee's goals",
)
def record_goal_note(
    request: HttpRequest, checkin_id: int, goal_id: int, payload: GoalNoteIn
) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    goal = Goal.objects.filter(pk=goal_id, employee=checkin.employee).first()
    if goal is None:
        raise Http404
    return checkins.goal_checkin_record(
        actor=request.user,
        checkin=checkin,
        goal=goal,
        comment=payload.comment,
        confidence=payload.confidence,
    )


@router.post("/checkins/{int:checkin_id}/action-items", response={201: ActionItemOut, **ERRORS})
def add_action_item(request: HttpRequest, checkin_id: int, payload: ActionItemIn) -> Any:
    checkin = _checkin(request, checkin_id)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    owner = None
    if payload.owner_id is not None:
        owner = {checkin.employee_id: checkin.employee, checkin.manager_id: checkin.manager}.get(
            payload.owner_id
        )
        if owner is None:
            raise invalid(
                "owner_id", _("The owner is the employee or the manager of the check-in.")
            )
    with api_field_names():
        item = checkins.action_item_create(
            actor=request.user,
            checkin=checkin,
            text=payload.text,
            owner=owner,
            due_date=payload.due_date,
        )
    return 201, item


@router.get(
    "/action-items",
    response=list[ActionItemOut],
    summary="Action items you may see; open ones first",
)
@paginate(Page)
def list_action_items(
    request: HttpRequest, employee_id: int | None = None, open: bool | None = None
) -> Any:
    qs = coaching.visible_action_items(request.user)
    if employee_id is not None:
        qs = qs.filter(employee_id=employee_id)
    if open is not None:
        qs = qs.filter(done_at__isnull=open)
    return qs.order_by("done_at", "due_date", "id")


@router.post("/action-items/{int:item_id}/done", response={200: ActionItemOut, **ERRORS})
def mark_action_item_done(request: HttpRequest, item_id: int, payload: ActionItemDoneIn) -> Any:
    item = get_visible_or_404(
        request.user, Action.CHECKIN_VIEW, coaching.visible_action_items(request.user), pk=item_id
    )
    require(request, Action.CHECKIN_CONTRIBUTE, item)
    return checkins.action_item_set_done(actor=request.user, item=item, done=payload.done)


# Observations and competencies ---------------------------------------------------------


class CompetencyOut(Schema):
    id: int
    code: str
    name: str
    description: str
    job_family: str
    version: int


class CompetencyIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=120)
    description: str = ""
    job_family: str = Field("", max_length=64)


class CompetencyPatch(Schema):
    version: int
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    job_family: str | None = Field(None, max_length=64)


class ObservationOut(Schema):
    id: int
    employee_id: int
    cycle_id: int | None
    author_id: int
    occurred_on: dt.date
    kind: ObservationKind
    text: str
    goal_id: int | None
    competency_id: int | None
    visibility: ObservationVisibility
    created_at: dt.datetime


class ObservationIn(Schema):
    employee_id: int
    occurred_on: dt.date
    kind: ObservationKind
    text: str
    goal_id: int | None = None
    competency_id: int | None = None
    visibility: ObservationVisibility = ObservationVisibility.PRIVATE


class ObservationPatch(Schema):
    occurred_on: dt.date | None = None
    kind: ObservationKind | None = None
    text: str | None = None
    goal_id: int | None = None
    competency_id: int | None = None
    visibility: ObservationVisibility | None = None


class ObservationFilters(Schema):
    employee_id: int | None = None
    cycle_id: int | None = None
    kind: ObservationKind | None = None
    competency_id: int | None = None


class CourseOut(Schema):
    id: int
    code: str
    title: str
    description: str
    provider: str
    link: str
    hours: Decimal | None
    is_active: bool
    competency_ids: list[int]
    version: int

    @staticmethod
    def resolve_competency_ids(obj: Course) -> list[int]:
        return [c.pk for c in obj.competencies.all()]


@router.get("/competencies", response=list[CompetencyOut], summary="The competency list")
@paginate(Page)
def list_competencies(request: HttpRequest) -> Any:
    require(request, Action.COURSE_VIEW)
    return Competency.objects.order_by("name")


@router.post("/competencies", response={201: CompetencyOut, **ERRORS}, summary="Add (HR)")
def create_competency(request: HttpRequest, payload: CompetencyIn) -> Any:
    require(request, Action.COURSE_MANAGE)
    values = payload.dict()
    return 201, observations.competency_create(
        actor=request.user, code=values.pop("code"), name=values.pop("name"), **values
    )


@router.patch("/competencies/{int:competency_id}", response={200: CompetencyOut, **ERRORS})
def update_competency(request: HttpRequest, competency_id: int, payload: CompetencyPatch) -> Any:
    competency = get_visible_or_404(
        request.user, Action.COURSE_VIEW, Competency.objects, pk=competency_id
    )
    require(request, Action.COURSE_MANAGE, competency)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if any(v is None for v in data.values()):
        raise ValidationFailed(_("Fields cannot be null."))
    return observations.competency_update(
        actor=request.user, competency=competency, expected_version=version, **data
    )


@router.get(
    "/observations",
    response=list[ObservationOut],
    summary="Observations you may read (the employee only shared ones)",
)
@paginate(Page)
def list_observations(request: HttpRequest, filters: Query[ObservationFilters]) -> Any:
    qs = coaching.visible_observations(request.user)
    for name in ("employee_id", "cycle_id", "kind", "competency_id"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    return qs.order_by("-occurred_on", "-id")


def _observation(request: HttpRequest, observation_id: int) -> Observation:
    found = coaching.visible_observations(request.user).filter(pk=observation_id).first()
    if found is None:
        raise Http404
    return found


@router.get("/observations/{int:observation_id}", response={200: ObservationOut, **ERRORS})
def get_observation(request: HttpRequest, observation_id: int) -> Any:
    return _observation(request, observation_id)


@router.post(
    "/observations",
    response={201: ObservationOut, **ERRORS},
    summary="Log an observation about a report (managers, HR)",
)
def create_observation(request: HttpRequest, payload: ObservationIn) -> Any:
    employee = employee_ref(request, payload.employee_id, "employee_id")
    require(request, Action.OBSERVATION_CREATE, employee)
    with api_field_names():
        return 201, observations.observation_create(
            actor=request.user,
            employee=employee,
            occurred_on=payload.occurred_on,
            kind=payload.kind,
            text=payload.text,
            goal=_goal_ref(request, payload.goal_id),
            competency=_competency_ref(payload.competency_id),
            visibility=payload.visibility,
        )


@router.patch("/observations/{int:observation_id}", response={200: ObservationOut, **ERRORS})
def update_observation(request: HttpRequest, observation_id: int, payload: ObservationPatch) -> Any:
    observation = _observation(request, observation_id)
    require(request, Action.OBSERVATION_MANAGE, observation)
    data = payload.dict(exclude_unset=True)
    if "goal_id" in data:
        data["goal"] = _goal_ref(request, data.pop("goal_id"))
    if "competency_id" in data:
        data["competency"] = _competency_ref(data.pop("competency_id"))
    with api_field_names():
        return observations.observation_update(actor=request.user, observation=observation, **data)


@router.get(
    "/observations/{int:observation_id}/suggested-courses",
    response={200: list[CourseOut], **ERRORS},
    summary="Courses for the competency gap an observation names",
)
def observation_courses(request: HttpRequest, observation_id: int) -> Any:
    observation = _observation(request, observation_id)
    return coaching.suggested_courses(observation)


@router.get(
    "/cycles/{int:cycle_id}/employees/{int:employee_id}/observations",
    response={200: list[ObservationOut], **ERRORS},
    summary="The observations of a person's cycle, for the review form",
)
def review_observations(request: HttpRequest, cycle_id: int, employee_id: int) -> Any:
    cycle = cycle_ref(request, cycle_id)
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.all(), pk=employee_id
    )
    return coaching.observations_for_review(cycle=cycle, employee=employee, viewer=request.user)


# Feedback and praise -------------------------------------------------------------------


class FeedbackOut(Schema):
    id: int
    giver_id: int
    giver_name: str = Field(..., alias="giver.name")
    receiver_id: int
    receiver_name: str = Field(..., alias="receiver.name")
    kind: FeedbackKind
    text: str
    visibility: FeedbackVisibility
    competency_id: int | None
    created_at: dt.datetime


class FeedbackIn(Schema):
    receiver_id: int
    text: str = Field(..., max_length=5000)
    visibility: FeedbackVisibility
    kind: FeedbackKind = FeedbackKind.PRAISE
    competency_id: int | None = None


def _colleague(pk: int) -> Employee:
    found = Employee.objects.active().filter(pk=pk).first()
    if found is None:
        raise invalid("receiver_id", _("Unknown employee."))
    return found


@router.get(
    "/feedback",
    response=list[FeedbackOut],
    summary="Feedback you may read; ?receiver_id= for one person's",
)
@paginate(Page)
def list_feedback(request: HttpRequest, receiver_id: int | None = None) -> Any:
    qs = coaching.visible_feedback(request.user)
    if receiver_id is not None:
        qs = qs.filter(receiver_id=receiver_id)
    return qs.order_by("-created_at", "-id")


@router.get("/feedback/wall", response=list[FeedbackOut], summary="Public praise")
@paginate(Page)
def praise_wall(request: HttpRequest) -> Any:
    return coaching.praise_wall(request.user)


@router.post("/feedback", response={201: FeedbackOut, **ERRORS}, summary="Give feedback")
def give_feedback(request: HttpRequest, payload: FeedbackIn) -> Any:
    require(request, Action.FEEDBACK_GIVE)
    with api_field_names():
        return 201, observations.feedback_give(
            actor=request.user,
            receiver=_colleague(payload.receiver_id),
            text=payload.text,
            visibility=payload.visibility,
            kind=payload.kind,
            competency=_competency_ref(payload.competency_id),
        )


# Courses and training ------------------------------------------------------------------


class CourseIn(Schema):
    code: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    description: str = ""
    provider: str = Field("", max_length=120)
    link: str = Field("", max_length=300)
    hours: Decimal | None = None
    is_active: bool = True
    competency_ids: list[int] = []


class CoursePatch(Schema):
    version: int
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    provider: str | None = Field(None, max_length=120)
    link: str | None = Field(None, max_length=300)
    hours: Decimal | None = None
    is_active: bool | None = None
    competency_ids: list[int] | None = None


class TrainingOut(Schema):
    id: int
    employee_id: int
    employee_name: str = Field(..., alias="employee.name")
    course_id: int
    course_title: str = Field(..., alias="course.title")
    recommended_by_id: int
    reason: str
    observation_id: int | None
    checkin_id: int | None
    status: TrainingStatus
    due_date: dt.date | None
    started_on: dt.date | None
    completed_on: dt.date | None
    version: int


class TrainingIn(Schema):
    employee_id: int
    course_id: int
    reason: str = ""
    observation_id: int | None = None
    checkin_id: int | None = None
    due_date: dt.date | None = None


class TrainingStatusIn(Schema):
    status: TrainingStatus
    version: int
    completed_on: dt.date | None = None


def _competencies(ids: list[int]) -> list[Competency]:
    found = list(Competency.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise invalid("competency_ids", _("Unknown competency."))
    return found


def _courses() -> Any:
    return Course.objects.prefetch_related("competencies")


@router.get("/courses", response=list[CourseOut], summary="The training catalogue")
@paginate(Page)
def list_courses(
    request: HttpRequest, competency_id: int | None = None, active: bool | None = None
) -> Any:
    require(request, Action.COURSE_VIEW)
    qs = _courses()
    if competency_id is not None:
        qs = qs.filter(competencies=competency_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("title")


@router.post("/courses", response={201: CourseOut, **ERRORS}, summary="Add a course (HR)")
def create_course(request: HttpRequest, payload: CourseIn) -> Any:
    require(request, Action.COURSE_MANAGE)
    values = payload.dict()
    competencies = _competencies(values.pop("competency_ids"))
    course = training.course_create(
        actor=request.user,
        code=values.pop("code"),
        title=values.pop("title"),
        competencies=competencies,
        **values,
    )
    return 201, _courses().get(pk=course.pk)


@router.patch("/courses/{int:course_id}", response={200: CourseOut, **ERRORS})
def update_course(request: HttpRequest, course_id: int, payload: CoursePatch) -> Any:
    course = get_visible_or_404(request.user, Action.COURSE_VIEW, _courses(), pk=course_id)
    require(request, Action.COURSE_MANAGE, course)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    ids = data.pop("competency_ids", None)
    if any(v is None for k, v in data.items() if k != "hours"):
        raise ValidationFailed(_("Fields cannot be null."))
    training.course_update(
        actor=request.user,
        course=course,
        expected_version=version,
        competencies=_competencies(ids) if ids is not None else None,
        **data,
    )
    return _courses().get(pk=course_id)


@router.get("/training", response=list[TrainingOut], summary="Training you may see")
@paginate(Page)
def list_training(
    request: HttpRequest, employee_id: int | None = None, status: TrainingStatus | None = None
) -> Any:
    qs = coaching.visible_training(request.user)
    if employee_id is not None:
        qs = qs.filter(employee_id=employee_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


@router.post(
    "/training",
    response={201: TrainingOut, **ERRORS},
    summary="Recommend a course to a report (managers, HR)",
)
def recommend_training(request: HttpRequest, payload: TrainingIn) -> Any:
    employee = employee_ref(request, payload.employee_id, "employee_id")
    require(request, Action.TRAINING_RECOMMEND, employee)
    course = Course.objects.filter(pk=payload.course_id).first()
    if course is None:
        raise invalid("course_id", _("Unknown course."))
    observation = None
    if payload.observation_id is not None:
        observation = (
            coaching.visible_observations(request.user).filter(pk=payload.observation_id).first()
        )
        if observation is None:
            raise invalid("observation_id", _("Unknown observation."))
    checkin = None
    if payload.checkin_id is not None:
        checkin = coaching.visible_checkins(request.user).filter(pk=payload.checkin_id).first()
        if checkin is None:
            raise invalid("checkin_id", _("Unknown check-in."))
    with api_field_names():
        assignment = training.training_recommend(
            actor=request.user,
            employee=employee,
            course=course,
            reason=payload.reason,
            observation=observation,
            checkin=checkin,
            due_date=payload.due_date,
        )
    return 201, coaching.visible_training(request.user).get(pk=assignment.pk)


@router.post(
    "/training/{int:assignment_id}/status",
    response={200: TrainingOut, **ERRORS},
    summary="Move a training forward: in progress, completed",
)
def set_training_status(request: HttpRequest, assignment_id: int, payload: TrainingStatusIn) -> Any:
    assignment = get_visible_or_404(
        request.user,
        Action.TRAINING_VIEW,
        coaching.visible_training(request.user),
        pk=assignment_id,
    )
    require(request, Action.TRAINING_UPDATE, assignment)
    training.training_set_status(
        actor=request.user,
        assignment=assignment,
        status=payload.status,
        completed_on=payload.completed_on,
        expected_version=payload.version,
    )
    return coaching.visible_training(request.user).get(pk=assignment_id)
