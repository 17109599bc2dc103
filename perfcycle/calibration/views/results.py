"""The stage's front page and a person's result: final grade and score (computed → final
with the reasons), the live score breakdown, the manager's summary, the feedback talk,
acknowledgement and appeals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import (
    Action,
    acting_employee,
    get_visible_or_404,
    is_hr,
    may,
    require,
)
from perfcycle.calibration import feedback
from perfcycle.calibration.appeals import visible_appeals
from perfcycle.calibration.models import Appeal, Result
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import scores
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource

# HR's links per cycle, to pages other parts of the stage provide (left out while a
# page does not exist).
HR_LINKS = (
    ("calibration:settings", gettext_lazy("Guideline and appeal rules")),
    ("calibration:distribution", gettext_lazy("Distribution")),
    ("calibration:sessions", gettext_lazy("Calibration sessions")),
    ("calibration:release", gettext_lazy("Release")),
    ("calibration:export", gettext_lazy("Export")),
)


class TalkForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    strengths = forms.CharField(
        label=gettext_lazy("Strengths"), widget=forms.Textarea(attrs={"rows": 3})
    )
    improvements = forms.CharField(
        label=gettext_lazy("To improve"), widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=gettext_lazy("Agreed next steps"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CommentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comments = forms.CharField(
        label=gettext_lazy("Your comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Your own view of the talk and the result; your manager and HR read it."
        ),
    )


def _link(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


RESULTS_PAGE_SIZE = 100


def _with_status(queryset: Any) -> Any:
    return feedback.with_appeal_counts(
        queryset.select_related("cycle", "employee", "department", "talk")
    ).order_by("-cycle__start_date", "employee__name", "pk")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    me = acting_employee(user)
    mine = (
        list(_with_status(Result.objects.filter(employee=me, released_at__isnull=False)))
        if me is not None
        else []
    )
    team_qs = feedback.visible_results(user)
    if me is not None:
        team_qs = team_qs.exclude(employee=me)
    hr = is_hr(user)
    cycle = None
    if hr or team_qs.exists():
        cycle_pk = request.GET.get("cycle")
        cycles = Cycle.objects.filter(Exists(Result.objects.filter(cycle=OuterRef("pk")))).order_by(
            "-start_date"
        )
        cycle = cycles.filter(pk=cycle_pk).first() if cycle_pk else cycles.first()
        # A page at a time: HR's list is the whole company.
        # One cycle: ordered by name alone, so the database walks the names' index.
        team_qs = _with_status(team_qs.filter(cycle=cycle)).order_by("employee__name", "pk")
        page, query = page_of(request, team_qs, RESULTS_PAGE_SIZE) if cycle else (None, "")
        team = list(page.object_list) if page is not None else []
    else:
        cycles, team, page, query = Cycle.objects.none(), [], None, ""
    hr_cycles = []
    if hr:
        for c in Cycle.objects.order_by("-start_date")[:12]:
            links = [(label, _link(name, c.pk)) for name, label in HR_LINKS]
            hr_cycles.append((c, [(label, url) for label, url in links if url]))
    days = feedback.window_days_by_cycle({row.cycle_id for row in [*mine, *team]})
    for row in [*mine, *team]:
        row.state = feedback.result_state(
            row, open_appeal=bool(row.open_appeals), window_days=days[row.cycle_id]
        )
        row.state_label = feedback.STATE_LABELS[row.state]
    my_appeals = (
        list(Appeal.objects.filter(result__employee=me).select_related("result__cycle")[:50])
        if me is not None
        else []
    )
    return render(
        request,
        "calibration/home.html",
        {
            "mine": mine,
            "my_appeals": my_appeals,
            "team": team,
            "page": page,
            "query": query,
            "cycle": cycle,
            "cycles": list(cycles),
            "hr": hr,
            "hr_cycles": hr_cycles,
            "appeals_to_review": visible_appeals(user)
            .filter(status__in=feedback.OPEN_APPEAL)
            .exclude(result__employee=me)
            .count()
            if me is not None or hr
            else 0,
        },
    )


def _result(request: HttpRequest, pk: int) -> Result:
    return get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related(
            "cycle", "cycle__grade_scale", "cycle__template", "employee", "department"
        ),
        pk=pk,
    )


def manager_summary(result: Result) -> ReviewForm | None:
    """The manager's submitted review of the person, for its summary."""
    return (
        ReviewForm.objects.filter(
            cycle_id=result.cycle_id,
            reviewee_id=result.employee_id,
            source=ReviewSource.MANAGER,
            status=FormStatus.SUBMITTED,
        )
        .select_related("reviewer")
        .order_by("-submitted_at")
        .first()
    )


def breakdown_context(result: Result) -> dict[str, Any]:
    """The live score breakdown, as on the evaluation page (without overrides)."""
    cycle = result.cycle
    if cycle.template_id is None:
        return {"score": None}
    score = scores.person_score(cycle, result.employee)
    sources = [s for s in score.sources if s.effective_weight or s.submitted or s.withheld]
    return {
        "score": score,
        "sources": sources,
        "source_columns": [s for s in score.sources if s.effective_weight],
        "source_formulas": {s.source: score.source_formula(s.source) for s in sources},
        "bands": list(cycle.grade_scale.bands.all()) if cycle.grade_scale else [],
    }


def result_context(request: HttpRequest, result: Result) -> dict[str, Any]:
    user = request.user
    talk = feedback.talk_of(result)
    appeals = list(result.appeals.select_related("decided_by").prefetch_related("attachments"))
    for appeal in appeals:
        appeal.visible = may(user, Action.APPEAL_VIEW, appeal)
    state = feedback.result_state(result)
    released = result.released_at is not None
    return {
        "result": result,
        "cycle": result.cycle,
        "employee": result.employee,
        "adjustments": list(result.adjustments.select_related("session", "appeal", "by")),
        "summary_form": manager_summary(result),
        "talk": talk,
        "appeals": appeals,
        "state": state,
        "state_label": feedback.STATE_LABELS[state],
        "window_closes_on": feedback.window_closes_on(result),
        "is_self": acting_employee(user) is not None
        and acting_employee(user).pk == result.employee_id,
        "may_record_talk": released and may(user, Action.TALK_RECORD, result),
        "may_comment": released and talk is not None and may(user, Action.TALK_COMMENT, result),
        "may_acknowledge": state == feedback.WAITING
        and may(user, Action.RESULT_ACKNOWLEDGE, result),
        "may_appeal": state == feedback.WAITING and may(user, Action.APPEAL_FILE, result),
        **breakdown_context(result),
    }


@login_required
def my_result(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    return render(request, "calibration/result.html", result_context(request, result))


@login_required
@require_http_methods(["GET", "POST"])
def talk(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    require(request, Action.TALK_VIEW, result)
    existing = feedback.talk_of(result)
    may_record = may(request.user, Action.TALK_RECORD, result)
    may_comment = existing is not None and may(request.user, Action.TALK_COMMENT, result)
    talk_form = comment_form = None
    if may_record:
        initial: dict[str, Any] = {"held_on": timezone.localdate()}
        if existing is not None:
            initial = {
                "version": existing.version,
                **{name: getattr(existing, name) for name in feedback.TALK_FIELDS},
            }
        talk_form = TalkForm(initial=initial)
    if may_comment and existing is not None:
        comment_form = CommentForm(
            initial={"version": existing.version, "comments": existing.employee_comments}
        )
    status = 200
    if request.method == "POST":
        try:
            if "comments" in request.POST and may_comment:
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    feedback.talk_comment(
                        actor=request.user,
                        result=result,
                        comments=comment_form.cleaned_data["comments"],
                        expected_version=comment_form.cleaned_data["version"],
                    )
                    messages.success(request, _("Your comments are saved."))
                    return redirect("calibration:my_result", result_pk=result.pk)
            elif may_record:
                talk_form = TalkForm(request.POST)
                if talk_form.is_valid():
                    data = talk_form.cleaned_data
                    feedback.talk_record(
                        actor=request.user,
                        result=result,
                        held_on=data["held_on"],
                        strengths=data["strengths"],
                        improvements=data["improvements"],
                        next_steps=data["next_steps"],
                        expected_version=data["version"],
                    )
                    messages.success(request, _("The feedback talk is recorded."))
                    return redirect("calibration:my_result", result_pk=result.pk)
            else:
                require(request, Action.TALK_RECORD, result)
        except DomainError as exc:
            form = comment_form if "comments" in request.POST else talk_form
            if form is not None:
                add_domain_error(form, exc)
            status = exc.status if exc.status in (400, 409, 422) else 400
    return render(
        request,
        "calibration/talk.html",
        {
            "result": result,
            "cycle": result.cycle,
            "employee": result.employee,
            "talk": existing,
            "talk_form": talk_form,
            "comment_form": comment_form,
            "released": result.released_at is not None,
        },
        status=status,
    )


@login_required
@require_POST
def acknowledge(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    require(request, Action.RESULT_ACKNOWLEDGE, result)
    try:
        feedback.result_acknowledge(actor=request.user, result=result)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You have acknowledged your result."))
    return redirect("calibration:my_result", result_pk=result.pk)


urlpatterns = [
    path("", home, name="home"),
    path("results/<int:result_pk>/", my_result, name="my_result"),
    path("results/<int:result_pk>/talk/", talk, name="talk"),
    path("results/<int:result_pk>/acknowledge/", acknowledge, name="acknowledge"),
]
