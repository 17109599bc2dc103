"""Goals import (HR): upload, a dry-run preview naming every bad row, then confirm."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import (
    Action,
)
from perfcycle.core.errors import DomainError
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.imports.services import Runner, import_file_apply, import_file_check
from perfcycle.planning import imports
from perfcycle.planning.forms import (
    GoalsImportForm,
)
from perfcycle.planning.views.common import (
    posted,
    require,
)

IMPORT_KIND = "goals"


# Goals import (HR) -------------------------------------------------------------------------


def _runner(request: HttpRequest, cycle: Cycle) -> Runner:
    def run(data: bytes, filename: str, dry_run: bool) -> Any:
        return imports.goals_import(
            actor=request.user, cycle=cycle, data=data, filename=filename, dry_run=dry_run
        )

    return run


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file for a cycle; it is checked in a dry run and kept for confirmation."""
    require(request, Action.GOAL_IMPORT)
    cycle = Cycle.objects.filter(phase__in=phases.GOALS_EDITABLE).order_by("-start_date").first()
    form = GoalsImportForm(posted(request), request.FILES or None, initial={"cycle": cycle})
    if request.method == "POST" and form.is_valid():
        cycle = form.cleaned_data["cycle"]
        upload = form.cleaned_data["file"]
        stored = import_file_check(
            actor=request.user,
            kind=IMPORT_KIND,
            filename=upload.name,
            data=upload.read(),
            run=_runner(request, cycle),
            context={"cycle_id": cycle.pk},
        )
        return redirect("planning:import_preview", pk=stored.pk)
    recent = ImportFile.objects.filter(uploaded_by=request.user, kind=IMPORT_KIND).defer("content")[
        :10
    ]
    return render(
        request,
        "planning/import_upload.html",
        {"form": form, "recent": recent, "columns": imports.GOAL_COLUMNS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: see what the import would do, or every bad row; then confirm."""
    require(request, Action.GOAL_IMPORT)
    stored = get_object_or_404(ImportFile, pk=pk, uploaded_by=request.user, kind=IMPORT_KIND)
    cycle = Cycle.objects.filter(pk=(stored.report or {}).get("cycle_id")).first()
    if cycle is None:
        raise Http404
    if request.method == "POST" and stored.status == ImportStatus.PREVIEWED:
        try:
            report = import_file_apply(
                stored=stored, run=_runner(request, cycle), context_keys=("cycle_id",)
            )
        except DomainError as exc:
            # The data changed since the preview in a way that makes the file invalid now.
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
            )
        return redirect("planning:import_preview", pk=stored.pk)
    return render(
        request,
        "planning/import_preview.html",
        {"stored": stored, "report": stored.report, "import_cycle": cycle},
    )
