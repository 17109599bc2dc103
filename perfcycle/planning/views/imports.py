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


def _import_rejected(exc: DomainError) -> dict[str, Any]:
    return {"message": exc.message, "errors": (exc.details or {}).get("errors", [])}


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
        data = upload.read()
        stored = ImportFile(
            kind=IMPORT_KIND,
            filename=upload.name[:255],
            content=data,
            sha256=ImportFile.digest(data),
            uploaded_by=request.user,
        )
        try:
            report = imports.goals_import(
                actor=request.user, cycle=cycle, data=data, filename=upload.name, dry_run=True
            )
            stored.report = {**report.as_dict(), "cycle_id": cycle.pk}
        except DomainError as exc:
            stored.status = ImportStatus.REJECTED
            stored.report = {**_import_rejected(exc), "cycle_id": cycle.pk}
        stored.save()
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
            report = imports.goals_import(
                actor=request.user,
                cycle=cycle,
                data=bytes(stored.content),
                filename=stored.filename,
            )
        except DomainError as exc:
            # The data changed since the preview in a way that makes the file invalid now.
            stored.status = ImportStatus.REJECTED
            stored.report = {**_import_rejected(exc), "cycle_id": cycle.pk}
            stored.save(update_fields=["status", "report"])
            messages.error(request, exc.message)
        else:
            stored.status = ImportStatus.APPLIED
            stored.report = {**report.as_dict(), "cycle_id": cycle.pk}
            stored.save(update_fields=["status", "report"])
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
