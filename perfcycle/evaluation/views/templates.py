"""Review templates and grade scales (HR): what a cycle's reviews ask and how scores turn
into grades.

Thin: ``access.policy`` says who may (``REVIEW_TEMPLATE_MANAGE``, HR only); the
services (``cycles.services`` for the template itself and grade scales,
``evaluation.templates`` for competencies, anchors and questions) write, check and
audit; their errors land on the form that caused them. A template used by an open
cycle is shown read-only with the reason.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles import services as cycle_services
from perfcycle.cycles.models import Cycle, GradeBand, GradeScale, Phase, ReviewTemplate
from perfcycle.evaluation import templates as template_services
from perfcycle.evaluation.models import ReviewSource, TemplateCompetency, TemplateQuestion
from perfcycle.evaluation.template_forms import (
    AnchorsForm,
    CompetencyAddForm,
    GradeScaleForm,
    QuestionForm,
    TemplateForm,
    WeightsForm,
)
from perfcycle.planning.views.common import posted, require

SOURCE_LABELS = dict(ReviewSource.choices)


def _template(pk: int) -> ReviewTemplate:
    return get_object_or_404(ReviewTemplate, pk=pk)


def _items(template: ReviewTemplate) -> list[TemplateCompetency]:
    return list(
        template.competencies.select_related("competency")
        .prefetch_related("anchors")
        .order_by("position", "id")
    )


def _lock_reason(template: ReviewTemplate) -> str:
    if not template_services.template_locked(template):
        return ""
    names = ", ".join(
        template.cycles.exclude(phase=Phase.DRAFT).order_by("name").values_list("name", flat=True)
    )
    return _(
        "Used by the open cycle(s) %(cycles)s: its rules were fixed when the cycle opened and "
        "can no longer change."
    ) % {"cycles": names}


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    form = TemplateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            template = cycle_services.review_template_create(
                actor=request.user, name=values.pop("name"), **values
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Template “%(name)s” created; now add its competencies.")
                % {"name": template.name},
            )
            return redirect("evaluation:template", template.pk)
    templates = ReviewTemplate.objects.annotate(
        n_competencies=Count("competencies", distinct=True),
        n_questions=Count("questions", distinct=True),
    ).prefetch_related(Prefetch("cycles", queryset=Cycle.objects.order_by("-start_date", "name")))
    scales = GradeScale.objects.prefetch_related(
        Prefetch("bands", queryset=GradeBand.objects.order_by("-min_score")), "cycles"
    )
    return render(
        request,
        "evaluation/templates.html",
        {"templates": templates, "scales": scales, "form": form},
    )


def _detail(request: HttpRequest, template: ReviewTemplate, **forms: Any) -> HttpResponse:
    items = _items(template)
    locked = _lock_reason(template)
    total = sum((i.weight for i in items), Decimal(0))
    questions = list(template.questions.order_by("position", "id"))
    points = list(range(template.rating_min, template.rating_max + 1))
    labels = template.rating_labels or {}
    context = {
        "template": template,
        "locked": locked,
        "problems": [
            m for ms in template_services.template_problems(template).values() for m in ms
        ],
        "items": [
            {
                "item": item,
                "anchored": len(item.anchors.all()),
                "weight_field": None,
            }
            for item in items
        ],
        "points": [(p, labels.get(str(p), "")) for p in points],
        "total": total,
        "total_ok": total == template_services.HUNDRED,
        "questions": [
            {
                "question": q,
                "sources": [SOURCE_LABELS.get(s, s) for s in q.sources],
            }
            for q in questions
        ],
        "cycles": template.cycles.order_by("-start_date", "name"),
        # A write refused because the template is locked: its forms are not shown.
        "refused": [e for f in forms.values() for e in f.non_field_errors()] if locked else [],
    }
    if not locked:
        context["form"] = forms.get("form") or TemplateForm(template=template)
        weights = forms.get("weights_form") or WeightsForm(items=items)
        context["weights_form"] = weights
        for row in context["items"]:
            row["weight_field"] = weights[f"weight_{row['item'].pk}"]
        context["add_form"] = forms.get("add_form") or CompetencyAddForm(template=template)
        context["question_form"] = forms.get("question_form") or QuestionForm()
    return render(request, "evaluation/template.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    if request.method != "POST":
        return _detail(request, template)
    form = TemplateForm(request.POST, template=template)
    if form.is_valid():
        values = form.values()
        changes = {k: v for k, v in values.items() if getattr(template, k) != v}
        try:
            if changes:
                cycle_services.review_template_update(
                    actor=request.user,
                    template=template,
                    expected_version=_version(request, template),
                    **changes,
                )
        except DomainError as exc:
            template.refresh_from_db()
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("evaluation:template", template.pk)
    return _detail(request, template, form=form)


def _version(request: HttpRequest, template: ReviewTemplate) -> int:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else template.version


@login_required
@require_POST
def template_competency_add(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    form = CompetencyAddForm(request.POST, template=template)
    if form.is_valid():
        try:
            template_services.template_competency_add(
                actor=request.user,
                template=template,
                competency=form.cleaned_data["competency"],
                weight=form.cleaned_data["weight"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Competency added."))
            return redirect("evaluation:template", template.pk)
    return _detail(request, template, add_form=form)


@login_required
@require_POST
def template_weights(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    form = WeightsForm(request.POST, items=_items(template))
    if form.is_valid():
        try:
            template_services.template_competency_weights_set(
                actor=request.user, template=template, weights=form.weights()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Weights saved."))
            return redirect("evaluation:template", template.pk)
    return _detail(request, template, weights_form=form)


def _item(template: ReviewTemplate, item_pk: int) -> TemplateCompetency:
    return get_object_or_404(
        TemplateCompetency.objects.select_related("competency", "template"),
        pk=item_pk,
        template=template,
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_anchors(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    item = _item(template, item_pk)
    locked = _lock_reason(template)
    form = AnchorsForm(posted(request), item=item)
    if request.method == "POST" and not locked and form.is_valid():
        try:
            template_services.template_anchors_set(
                actor=request.user, item=item, anchors=form.anchors()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Behavioural anchors saved."))
            return redirect("evaluation:template", template.pk)
    elif request.method == "POST" and locked:
        form.add_error(None, locked)
    outside = [a for a in item.anchors.all() if a.rating not in form.points]
    return render(
        request,
        "evaluation/template_anchors.html",
        {"template": template, "item": item, "form": form, "locked": locked, "outside": outside},
    )


@login_required
@require_POST
def template_competency_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    item = _item(template, item_pk)
    try:
        template_services.template_competency_remove(actor=request.user, item=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Competency removed."))
    return redirect("evaluation:template", template.pk)


@login_required
@require_POST
def template_question_add(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            template_services.template_question_add(
                actor=request.user, template=template, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("evaluation:template", template.pk)
    return _detail(request, template, question_form=form)


def _question(template: ReviewTemplate, question_pk: int) -> TemplateQuestion:
    return get_object_or_404(TemplateQuestion, pk=question_pk, template=template)


@login_required
@require_http_methods(["GET", "POST"])
def template_question(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    question = _question(template, question_pk)
    locked = _lock_reason(template)
    form = QuestionForm(
        posted(request),
        initial={"text": question.text, "sources": question.sources, "required": question.required},
    )
    if request.method == "POST" and locked:
        form.add_error(None, locked)
    elif request.method == "POST" and form.is_valid():
        try:
            template_services.template_question_update(
                actor=request.user, question=question, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("evaluation:template", template.pk)
    return render(
        request,
        "evaluation/template_question.html",
        {"template": template, "question": question, "form": form, "locked": locked},
    )


@login_required
@require_POST
def template_question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    template = _template(pk)
    question = _question(template, question_pk)
    try:
        template_services.template_question_remove(actor=request.user, question=question)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Question removed."))
    return redirect("evaluation:template", template.pk)


# Grade scales ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def grade_scale_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    if request.method == "GET" and not GradeScale.objects.exists():
        cycle_services.grade_scale_default(actor=request.user)
    form = GradeScaleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            scale = cycle_services.grade_scale_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                bands=form.bands(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Grade scale “%(name)s” created.") % {"name": scale.name})
            return redirect("evaluation:grade_scale", scale.pk)
    scales = GradeScale.objects.prefetch_related(
        Prefetch("bands", queryset=GradeBand.objects.order_by("-min_score")),
        Prefetch("cycles", queryset=Cycle.objects.order_by("-start_date", "name")),
    )
    return render(request, "evaluation/grade_scales.html", {"scales": scales, "form": form})


@login_required
def grade_scale_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    scale = get_object_or_404(GradeScale, pk=pk)
    bands = list(scale.bands.order_by("-min_score"))
    rows = []
    for index, band in enumerate(bands):
        upper = bands[index - 1].min_score if index > 0 else None
        rows.append({"band": band, "upper": upper})
    return render(
        request,
        "evaluation/grade_scale.html",
        {
            "scale": scale,
            "rows": rows,
            "cycles": scale.cycles.order_by("-start_date", "name"),
        },
    )


urlpatterns = [
    path("templates/", template_list, name="templates"),
    path("templates/<int:pk>/", template_detail, name="template"),
    path(
        "templates/<int:pk>/competencies/",
        template_competency_add,
        name="template_competency_add",
    ),
    path("templates/<int:pk>/weights/", template_weights, name="template_weights"),
    path(
        "templates/<int:pk>/competencies/<int:item_pk>/",
        template_anchors,
        name="template_anchors",
    ),
    path(
        "templates/<int:pk>/competencies/<int:item_pk>/remove/",
        template_competency_remove,
        name="template_competency_remove",
    ),
    path("templates/<int:pk>/questions/", template_question_add, name="template_question_add"),
    path(
        "templates/<int:pk>/questions/<int:question_pk>/",
        template_question,
        name="template_question",
    ),
    path(
        "templates/<int:pk>/questions/<int:question_pk>/remove/",
        template_question_remove,
        name="template_question_remove",
    ),
    path("grade-scales/", grade_scale_list, name="grade_scales"),
    path("grade-scales/<int:pk>/", grade_scale_detail, name="grade_scale"),
]
