"""Review form pages: the forms I fill in, one form (filled by its reviewer, read by HR)
with the evidence beside a manager's form, and the anonymous peer summary of a person.

Thin: the policy says who, ``evaluation.reviews`` saves and submits, ``evidence`` reads.
A stale save (another tab, another session) is never lost: the page comes back with
what was typed and, beside it, what was saved meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404, may
from perfcycle.core.errors import Conflict, DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import reviews
from perfcycle.evaluation.evidence import Evidence, review_evidence
from perfcycle.evaluation.models import (
    Answer,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.evaluation.templates import questions_for_source
from perfcycle.org.models import Employee
from perfcycle.planning.views.common import posted, require

EVIDENCE_SOURCES = frozenset({ReviewSource.MANAGER, ReviewSource.SKIP})


# Reading a form's content ---------------------------------------------------------------


def form_items(form: ReviewForm) -> list[TemplateCompetency]:
    """The template's competencies with their anchors, in order (two queries)."""
    return list(
        TemplateCompetency.objects.filter(template_id=form.cycle.template_id)
        .select_related("competency")
        .prefetch_related("anchors")
    )


def form_questions(form: ReviewForm) -> list[TemplateQuestion]:
    template = form.cycle.template
    return questions_for_source(template, form.source) if template is not None else []


def scale(template: Any) -> list[tuple[int, str]]:
    """(point, label) for each point of the template's rating scale."""
    if template is None:
        return []
    labels = template.rating_labels or {}
    return [
        (point, str(labels.get(str(point), "")))
        for point in range(template.rating_min, template.rating_max + 1)
    ]


class ReviewFormFields(forms.Form):
    """What a reviewer posts: a rating and comment per competency, an answer per
    question, the summary, and the version the page was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea)

    def __init__(
        self,
        data: Any = None,
        *,
        items: list[TemplateCompetency],
        questions: list[TemplateQuestion],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.items = items
        self.questions = questions
        for item in items:
            self.fields[f"rating_{item.pk}"] = forms.IntegerField(
                label=str(item.competency), required=False
            )
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label=_("Comment"), required=False, max_length=5000
            )
        for question in questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.text, required=False, max_length=10000
            )

    def changes(self) -> dict[str, Any]:
        """The service's arguments: ratings chosen (an unchosen one is left as it is)."""
        data = self.cleaned_data
        return {
            "ratings": {
                i.pk: data[f"rating_{i.pk}"]
                for i in self.items
                if data.get(f"rating_{i.pk}") is not None
            },
            "comments": {i.pk: data.get(f"comment_{i.pk}") or "" for i in self.items},
            "answers": {q.pk: data.get(f"answer_{q.pk}") or "" for q in self.questions},
            "summary": data.get("summary") or "",
        }


def _form_fields(
    form: ReviewForm, data: Any = None, **kwargs: Any
) -> tuple[ReviewFormFields, list[TemplateCompetency], list[TemplateQuestion]]:
    items = form_items(form)
    questions = form_questions(form)
    return ReviewFormFields(data, items=items, questions=questions, **kwargs), items, questions


@dataclass
class Point:
    value: int
    label: str
    anchor: str
    checked: bool


@dataclass
class ItemRow:
    item: TemplateCompetency
    points: list[Point]
    value: int | None
    comment: str
    errors: list[str]
    saved_value: int | None = None  # after a conflict: what was saved meanwhile
    saved_label: str = ""
    saved_comment: str = ""
    differs: bool = False


@dataclass
class QuestionRow:
    question: TemplateQuestion
    text: str
    errors: list[str]
    saved_text: str = ""
    differs: bool = False


@dataclass
class FormView:
    rows: list[ItemRow]
    questions: list[QuestionRow]
    summary: str
    saved_summary: str = ""
    summary_differs: bool = False
    non_field_errors: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _view(
    form: ReviewForm,
    fields: ReviewFormFields,
    items: list[TemplateCompetency],
    questions: list[TemplateQuestion],
    *,
    conflict: bool,
) -> FormView:
    """What each input shows: what was posted (when re-rendering a post), else what is
    saved; after a conflict, the saved values beside what was typed."""
    ratings = {r.item_id: r for r in Rating.objects.filter(form=form)}
    answers = {a.question_id: a.text for a in Answer.objects.filter(form=form)}
    labels = dict(scale(form.cycle.template))
    bound = fields.is_bound
    rows = []
    for item in items:
        saved = ratings.get(item.pk)
        if bound:
            value = _int(fields.data.get(f"rating_{item.pk}"))
            if value is None and saved is not None and not conflict:
                value = saved.value
            comment = fields.data.get(f"comment_{item.pk}", "")
        else:
            value = saved.value if saved else None
            comment = saved.comment if saved else ""
        anchors = {a.rating: a.description for a in item.anchors.all()}
        row = ItemRow(
            item=item,
            points=[
                Point(point, label, anchors.get(point, ""), point == value)
                for point, label in labels.items()
            ],
            value=value,
            comment=comment,
            errors=[
                *fields.errors.get(f"rating_{item.pk}", []),
                *fields.errors.get(f"comment_{item.pk}", []),
            ],
        )
        if conflict:
            row.saved_value = saved.value if saved else None
            row.saved_label = labels.get(row.saved_value, "") if row.saved_value else ""
            row.saved_comment = saved.comment if saved else ""
            row.differs = (row.saved_value, row.saved_comment.strip()) != (value, comment.strip())
        rows.append(row)
    question_rows = []
    for question in questions:
        saved_text = answers.get(question.pk, "")
        text = fields.data.get(f"answer_{question.pk}", "") if bound else saved_text
        question_rows.append(
            QuestionRow(
                question=question,
                text=text,
                errors=list(fields.errors.get(f"answer_{question.pk}", [])),
                saved_text=saved_text if conflict else "",
                differs=conflict and saved_text.strip() != text.strip(),
            )
        )
    summary = fields.data.get("summary", "") if bound else form.summary
    return FormView(
        rows=rows,
        questions=question_rows,
        summary=summary,
        saved_summary=form.summary if conflict else "",
        summary_differs=conflict and form.summary.strip() != summary.strip(),
        non_field_errors=list(fields.non_field_errors()),
    )


# Aggregates, as pages show them ---------------------------------------------------------


@dataclass
class AggregateView:
    """A peer or upward aggregate with names for ids; still nobody's identity."""

    source: str
    shown: bool
    submitted: int
    minimum: int
    averages: list[tuple[str, Any, int]]  # competency, mean, how many answered
    answers: list[tuple[str, list[str]]]  # question, texts sorted by text


def aggregate_view(
    aggregate: reviews.PeerAggregate | None,
    items: list[TemplateCompetency],
    questions: dict[int, str],
) -> AggregateView | None:
    if aggregate is None:
        return None
    return AggregateView(
        source=aggregate.source,
        shown=aggregate.shown,
        submitted=aggregate.submitted,
        minimum=aggregate.minimum,
        averages=[
            (str(i.competency), aggregate.averages[i.pk], aggregate.counts.get(i.pk, 0))
            for i in items
            if i.pk in aggregate.averages
        ],
        answers=[
            (questions.get(q, ""), texts)
            for q, texts in sorted(aggregate.answers.items(), key=lambda kv: kv[0])
        ],
    )


def _template_questions(cycle: Cycle) -> dict[int, str]:
    return dict(
        TemplateQuestion.objects.filter(template_id=cycle.template_id).values_list("pk", "text")
    )


# Pages ---------------------------------------------------------------------------------


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    forms_ = list(reviews.reviewer_forms(me)) if me is not None else []
    deadlines = reviews.deadlines_for(f.cycle_id for f in forms_)
    today = timezone.localdate()
    rows = []
    for form in forms_:
        reason = reviews.closed_reason(form, deadlines=deadlines)
        due = reviews.form_deadline(form, deadlines=deadlines)
        rows.append(
            {
                "form": form,
                "phase": reviews.PHASE_FOR_SOURCE[form.source].label,
                "deadline": due,
                "overdue": due is not None and today > due,
                "open": reason is None,
                "closed_reason": reason.message if reason else "",
            }
        )
    return render(request, "evaluation/my_reviews.html", {"rows": rows})


def _form(request: HttpRequest, pk: int) -> ReviewForm:
    return get_visible_or_404(
        request.user,
        Action.REVIEW_FORM_VIEW,
        ReviewForm.objects.select_related("cycle", "cycle__template", "reviewee", "reviewer"),
        pk=pk,
    )


def _page(
    request: HttpRequest,
    form: ReviewForm,
    fields: ReviewFormFields | None = None,
    *,
    conflict: bool = False,
    status: int = 200,
) -> HttpResponse:
    if fields is None:
        fields, items, questions = _form_fields(form, initial={"version": form.version})
    else:
        items, questions = fields.items, fields.questions
    reason = reviews.closed_reason(form)
    can_fill = may(request.user, Action.REVIEW_FORM_FILL, form) and reason is None
    evidence: Evidence | None = None
    peers = reports = None
    if form.source in EVIDENCE_SOURCES:
        evidence = review_evidence(cycle=form.cycle, employee=form.reviewee, viewer=request.user)
        all_questions = _template_questions(form.cycle)
        peers = aggregate_view(evidence.peers, items, all_questions)
        reports = aggregate_view(evidence.reports, items, all_questions)
    context = {
        "review": form,
        "fields": fields,
        "view": _view(form, fields, items, questions, conflict=conflict),
        "version": form.version,
        "can_fill": can_fill,
        "closed_reason": reason.message if reason and form.status != "submitted" else "",
        "phase": reviews.PHASE_FOR_SOURCE[form.source].label,
        "deadline": reviews.form_deadline(form),
        "conflict": conflict,
        "evidence": evidence,
        "peers": peers,
        "reports": reports,
    }
    return render(request, "evaluation/form.html", context, status=status)


@login_required
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _form(request, pk))


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get(
        "X-Requested-With"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


def _json_error(exc: DomainError, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": exc.code, "message": exc.message, "details": exc.details}, **extra},
        status=exc.status,
    )


def _saved_at(form: ReviewForm) -> str:
    return timezone.localtime(form.updated_at).strftime("%H:%M")


def _save(request: HttpRequest, form: ReviewForm, fields: ReviewFormFields) -> ReviewForm:
    """Validate the post and save the draft; raises what the service raises."""
    if not fields.is_valid():
        raise _invalid(fields)
    return reviews.review_save(
        actor=request.user,
        form=form,
        expected_version=fields.cleaned_data["version"],
        **fields.changes(),
    )


class _FormInvalid(DomainError):
    status = 422
    code = "validation_failed"


def _invalid(fields: ReviewFormFields) -> _FormInvalid:
    return _FormInvalid(
        _("Please correct the errors below."),
        details={"fields": {name: list(errs) for name, errs in fields.errors.items()}},
    )


def _refused(
    request: HttpRequest, form: ReviewForm, fields: ReviewFormFields, exc: DomainError
) -> HttpResponse:
    """The page again after a refused save, with everything typed kept."""
    fresh = ReviewForm.objects.select_related(
        "cycle", "cycle__template", "reviewee", "reviewer"
    ).get(pk=form.pk)
    conflict = isinstance(exc, Conflict)
    if conflict:
        # Save again from here to keep what was typed: the merge is the reviewer's.
        data = fields.data.copy()
        data["version"] = str(fresh.version)
        fields = ReviewFormFields(data, items=fields.items, questions=fields.questions)
        fields.is_valid()
        fields.add_error(
            None,
            _(
                "Someone saved this review in the meantime (another tab or session). What you "
                "typed is kept below, with the saved values beside it: merge them and save again."
            ),
        )
    elif not isinstance(exc, _FormInvalid):
        add_domain_error(fields, exc)
    return _page(request, fresh, fields, conflict=conflict, status=exc.status)


@login_required
@require_POST
def form_save(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk)
    require(request, Action.REVIEW_FORM_FILL, form)
    fields, _items, _questions = _form_fields(form, posted(request))
    try:
        _save(request, form, fields)
    except DomainError as exc:
        if wants_json(request):
            current = ReviewForm.objects.filter(pk=form.pk).values_list("version", flat=True)
            return _json_error(exc, version=current.first())
        return _refused(request, form, fields, exc)
    if wants_json(request):
        saved_at = _saved_at(form)
        return JsonResponse(
            {
                "version": form.version,
                "status": form.status,
                "saved_at": saved_at,
                "message": _("Saved at %(time)s") % {"time": saved_at},
            }
        )
    messages.success(request, _("Draft saved."))
    return redirect("evaluation:form", pk=pk)


@login_required
@require_POST
def form_submit(request: HttpRequest, pk: int) -> HttpResponse:
    form = _form(request, pk)
    require(request, Action.REVIEW_FORM_FILL, form)
    fields, _items, _questions = _form_fields(form, posted(request))
    try:
        _save(request, form, fields)
    except DomainError as exc:
        return _refused(request, form, fields, exc)
    try:
        reviews.review_submit(actor=request.user, form=form, expected_version=form.version)
    except Conflict as exc:
        # Saved in another tab between this draft and the submission: merge, as for a save.
        return _refused(request, form, fields, exc)
    except DomainError as exc:
        # The draft was saved; say what is missing and keep the page as typed.
        data = fields.data.copy()
        data["version"] = str(form.version)
        fields = ReviewFormFields(data, items=fields.items, questions=fields.questions)
        fields.is_valid()
        add_domain_error(fields, exc)
        details = exc.details if isinstance(exc.details, dict) else {}
        if details.get("unrated"):
            fields.add_error(
                None, _("Not rated yet: %(names)s") % {"names": ", ".join(details["unrated"])}
            )
        if details.get("unanswered"):
            fields.add_error(
                None,
                _("Not answered yet: %(questions)s")
                % {"questions": ", ".join(details["unanswered"])},
            )
        messages.info(request, _("Draft saved."))
        return _page(request, form, fields, status=exc.status)
    messages.success(request, _("Review submitted. Thank you."))
    return redirect("evaluation:form", pk=pk)


@login_required
def peer_summary(request: HttpRequest, cycle_pk: int, employee_pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle.objects.select_related("template"), pk=cycle_pk)
    employee = get_visible_or_404(
        request.user, Action.SCORE_VIEW, Employee.objects.all(), pk=employee_pk
    )
    if cycle.template_id is None:
        raise Http404
    items = list(
        TemplateCompetency.objects.filter(template_id=cycle.template_id).select_related(
            "competency"
        )
    )
    questions = _template_questions(cycle)
    context = {
        "cycle": cycle,
        "employee": employee,
        "peers": aggregate_view(
            reviews.peer_aggregate(cycle=cycle, reviewee=employee), items, questions
        ),
        "reports": aggregate_view(
            reviews.report_aggregate(cycle=cycle, reviewee=employee), items, questions
        ),
    }
    return render(request, "evaluation/_peer_summary.html", context)


urlpatterns: list[URLPattern] = [
    path("reviews/", my_reviews, name="my_reviews"),
    path("reviews/<int:pk>/", form_detail, name="form"),
    path("reviews/<int:pk>/save/", form_save, name="form_save"),
    path("reviews/<int:pk>/submit/", form_submit, name="form_submit"),
    path(
        "cycles/<int:cycle_pk>/people/<int:employee_pk>/peers/",
        peer_summary,
        name="peer_summary",
    ),
]
