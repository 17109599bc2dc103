"""Appeal pages: filing one against a released result, HR's queue and the reviewers'
list, one appeal (routing, deciding), and attachments downloaded through the policy —
never from a public media address."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action, get_visible_or_404, is_hr, may, require
from perfcycle.calibration import appeals as service
from perfcycle.calibration import feedback
from perfcycle.calibration.distribution import grade_codes
from perfcycle.calibration.models import Appeal, AppealAttachment, AppealStatus, Result
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.org.fields import PeopleField
from perfcycle.org.models import Employee


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you appeal?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What in the result you disagree with, and why; name the evidence."),
    )
    talk_held = forms.BooleanField(
        label=gettext_lazy("The feedback talk took place"), required=False
    )
    files = MultipleFileField(
        label=gettext_lazy("Attachments"),
        required=False,
        help_text=gettext_lazy(
            "Up to 5 files of at most 10 MB each: PDF, PNG, JPG, DOCX, XLSX or TXT."
        ),
    )
    domain_field_names = {"attachments": "files"}


class RouteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    skip_level = forms.BooleanField(
        label=gettext_lazy("The skip-level manager reviews it"), required=False
    )
    committee = PeopleField(
        label=gettext_lazy("Appeal committee"),
        queryset=Employee.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, appeal: Appeal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = (
            Employee.objects.active().exclude(pk=appeal.result.employee_id).order_by("name")
        )


class DecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            (AppealStatus.UPHELD.value, AppealStatus.UPHELD.label),
            (AppealStatus.REJECTED.value, AppealStatus.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    grade = forms.ChoiceField(label=gettext_lazy("New grade (when upheld)"), required=False)
    score = forms.DecimalField(
        label=gettext_lazy("New score (when upheld)"),
        required=False,
        max_digits=6,
        decimal_places=2,
    )
    decision = forms.CharField(
        label=gettext_lazy("Decision and reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The employee reads this; at least 10 characters."),
    )

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "—"), *((c, c) for c in codes)]


def _result(request: HttpRequest, pk: int) -> Result:
    return get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related("cycle", "employee"),
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_file(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    require(request, Action.APPEAL_FILE, result)
    form = AppealForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"talk_held": feedback.talk_of(result) is not None},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                appeal = service.appeal_file(
                    actor=request.user,
                    result=result,
                    reason=form.cleaned_data["reason"],
                    talk_held=form.cleaned_data["talk_held"],
                    attachments=form.cleaned_data["files"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 400
            else:
                messages.success(
                    request,
                    _("Your appeal is filed; a decision is due by %(date)s.")
                    % {"date": f"{appeal.due_on:%Y-%m-%d}"},
                )
                return redirect("calibration:appeal", pk=appeal.pk)
        else:
            status = 400
    return render(
        request,
        "calibration/appeal_form.html",
        {
            "result": result,
            "form": form,
            "window_closes_on": feedback.window_closes_on(result),
            "window_open": feedback.window_open(result),
            "max_files": service.MAX_FILES,
        },
        status=status,
    )


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    qs = service.visible_appeals(request.user).select_related(
        "result__cycle", "result__employee", "skip_level"
    )
    if show == "open":
        qs = qs.filter(status__in=feedback.OPEN_APPEAL)
    page, query = page_of(request, qs.order_by("due_on", "pk"))
    return render(
        request,
        "calibration/appeals.html",
        {
            "rows": list(page.object_list),
            "page": page,
            "query": query,
            "show": show,
            "hr": is_hr(request.user),
        },
    )


def _appeal(request: HttpRequest, pk: int) -> Appeal:
    return get_visible_or_404(
        request.user,
        Action.APPEAL_VIEW,
        service.appeal_details(Appeal.objects.all()),
        pk=pk,
    )


def _appeal_page(
    request: HttpRequest,
    appeal: Appeal,
    *,
    route_form: RouteForm | None = None,
    decide_form: DecideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    is_open = service.is_open(appeal)
    may_route = is_open and is_hr(user)
    may_decide = is_open and may(user, Action.APPEAL_DECIDE, appeal)
    if may_route and route_form is None:
        route_form = RouteForm(
            appeal=appeal,
            initial={
                "version": appeal.version,
                "skip_level": appeal.skip_level_id is not None,
                "committee": [m.pk for m in appeal.committee.all()],
            },
        )
    if may_decide and decide_form is None:
        decide_form = DecideForm(
            codes=grade_codes(appeal.result.cycle), initial={"version": appeal.version}
        )
    return render(
        request,
        "calibration/appeal.html",
        {
            "appeal": appeal,
            "result": appeal.result,
            "is_open": is_open,
            "skip_level_candidate": service.skip_level_of(appeal.result.employee),
            "route_form": route_form if may_route else None,
            "decide_form": decide_form if may_decide else None,
            "may_see_result": may(user, Action.RESULT_VIEW, appeal.result),
        },
        status=status,
    )


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _appeal_page(request, _appeal(request, pk))


@login_required
@require_POST
def appeal_route(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = _appeal(request, pk)
    if not is_hr(request.user):
        raise PermissionDenied
    form = RouteForm(request.POST, appeal=appeal)
    if form.is_valid():
        try:
            service.appeal_route(
                actor=request.user,
                appeal=appeal,
                skip_level=form.cleaned_data["skip_level"],
                committee=form.cleaned_data["committee"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The appeal is under review."))
            return redirect("calibration:appeal", pk=appeal.pk)
    return _appeal_page(request, appeal, route_form=form, status=400)


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = _appeal(request, pk)
    require(request, Action.APPEAL_DECIDE, appeal)
    form = DecideForm(request.POST, codes=grade_codes(appeal.result.cycle))
    if form.is_valid():
        data = form.cleaned_data
        try:
            service.appeal_decide(
                actor=request.user,
                appeal=appeal,
                outcome=data["outcome"],
                decision=data["decision"],
                grade=data["grade"] or None,
                score=data["score"],
                expected_version=data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The appeal is decided."))
            return redirect("calibration:appeal", pk=appeal.pk)
    return _appeal_page(request, appeal, decide_form=form, status=400)


@login_required
def appeal_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Download an attachment: only who may see its appeal; always as a download."""
    attachment = AppealAttachment.objects.select_related("appeal").filter(pk=pk).first()
    if attachment is None or not may(request.user, Action.APPEAL_VIEW, attachment.appeal):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("results/<int:result_pk>/appeal/", appeal_file, name="appeal_file"),
    path("appeals/", appeal_list, name="appeals"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal"),
    path("appeals/<int:pk>/route/", appeal_route, name="appeal_route"),
    path("appeals/<int:pk>/decide/", appeal_decide, name="appeal_decide"),
    path("appeals/attachments/<int:pk>/", appeal_attachment, name="appeal_attachment"),
]
