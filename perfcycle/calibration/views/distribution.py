"""The distribution guideline (HR sets it) and the distribution page: each grade's actual
share against the guideline, company-wide and per department, with warnings where a
group is off. HR sees everyone; a manager sees their reporting line only."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfcycle.access.policy import Action, get_visible_or_404, may, require, scope
from perfcycle.calibration import distribution
from perfcycle.calibration.models import Result
from perfcycle.calibration.results import results_prepare
from perfcycle.charts import svg
from perfcycle.core.errors import DomainError
from perfcycle.core.numbers import plain
from perfcycle.cycles.models import Cycle

DEPARTMENTS_PER_PAGE = 50


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("grade_scale"), pk=pk
    )


def chart(check: distribution.DistributionCheck) -> str:
    """The check drawn as bars: actual share, target line, tolerance band."""
    return svg.distribution_chart(
        [(r.code, r.share, r.target, r.off) for r in check.rows],
        label=_("%(group)s: share per grade against the guideline") % {"group": check.label},
        tolerance=check.tolerance if check.has_guideline else 0,
        labels={"actual": _("actual"), "target": _("target"), "band": _("tolerance")},
    )


def visible_results(user: Any, cycle: Cycle) -> Any:
    """The results whose grades the reader may count: HR everyone, a manager their
    reporting line (the result-view rule, as the policy scopes it)."""
    return scope(user, Action.RESULT_VIEW, Result.objects.filter(cycle=cycle), subject="employee__")


@login_required
def distribution_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.DISTRIBUTION_VIEW)
    hr = may(request.user, Action.CALIBRATION_SETTINGS)
    found = distribution.overview(
        cycle,
        visible_results(request.user, cycle),
        overall_label=_("Whole company") if hr else _("Your reporting line"),
    )
    # Everyone, then the departments a page at a time (a large company has thousands).
    page = Paginator(found.departments, DEPARTMENTS_PER_PAGE).get_page(request.GET.get("page"))
    groups = [
        {"check": found.overall, "chart": chart(found.overall), "overall": True},
        *(
            {"check": c, "chart": chart(c), "department_id": pk, "overall": False}
            for pk, c in page.object_list
        ),
    ]
    for group in groups:
        group["off_message"] = distribution.off_message(group["check"])
    return render(
        request,
        "calibration/distribution.html",
        {
            "cycle": cycle,
            "overview": found,
            "warnings": format_html_join("", "<li>{}</li>", ((c.label,) for c in found.warnings)),
            "groups": groups,
            "page": page,
            "hr": hr,
            "may_scores": may(request.user, Action.SCORE_LIST),
        },
    )


@login_required
@require_POST
def prepare(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.SESSION_MANAGE)
    try:
        report = results_prepare(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Results prepared: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
            % report.as_dict(),
        )
    return redirect("calibration:distribution", cycle_pk=cycle.pk)


def _posted_shares(request: HttpRequest, codes: list[str]) -> dict[str, str]:
    return {code: request.POST.get(f"share_{code}", "").strip() for code in codes}


@login_required
def settings_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.CALIBRATION_SETTINGS)
    codes = distribution.grade_codes(cycle)
    current = distribution.settings_for(cycle)
    presets = distribution.presets(codes)
    errors: dict[str, list[str]] = {}
    error = ""
    status = 200
    values: dict[str, Any] = {
        "shares": {c: (current.shares or {}).get(c, "") for c in codes},
        "tolerance": current.tolerance,
        "strict": current.strict,
        "appeal_window_days": current.appeal_window_days,
        "appeal_decision_days": current.appeal_decision_days,
    }
    chosen = next((p for p in presets if p.key == request.GET.get("preset")), None)
    if chosen is not None:
        values["shares"] = {c: plain(v) for c, v in chosen.shares.items()}
    if request.method == "POST":
        values = {
            "shares": _posted_shares(request, codes),
            "tolerance": request.POST.get("tolerance", "").strip(),
            "strict": request.POST.get("strict") == "on",
            "appeal_window_days": request.POST.get("appeal_window_days", "").strip(),
            "appeal_decision_days": request.POST.get("appeal_decision_days", "").strip(),
        }
        version = request.POST.get("version", "")
        try:
            distribution.settings_set(
                actor=request.user,
                cycle=cycle,
                expected_version=int(version) if version.isdigit() else None,
                **{k: (v if v != "" else None) for k, v in values.items()},
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            errors = details.get("fields", {})
            error = exc.message
            status = 409 if exc.status == 409 else 422
        else:
            messages.success(request, _("The distribution guideline is saved."))
            return redirect("calibration:distribution", cycle_pk=cycle.pk)
    total = Decimal(0)
    for value in values["shares"].values():
        with contextlib.suppress(ArithmeticError):
            total += Decimal(str(value or 0))
    return render(
        request,
        "calibration/settings.html",
        {
            "cycle": cycle,
            "codes": codes,
            "values": values,
            "share_rows": [(c, values["shares"].get(c, "")) for c in codes],
            "total": total,
            "presets": presets,
            "current": current,
            "errors": errors,
            "error": error,
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/settings/", settings_page, name="settings"),
    path("cycles/<int:cycle_pk>/distribution/", distribution_page, name="distribution"),
    path("cycles/<int:cycle_pk>/distribution/prepare/", prepare, name="results_prepare"),
]
