from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from perfcycle.org.fields import DepartmentField, PersonField
from perfcycle.org.models import Department, Employee, EmployeeStatus

STALE_FORM = _("This form is out of date. Reload the page and make your change again.")


class VersionForm(forms.Form):
    """A form that edits a versioned record carries the version it was read at.

    When editing, the version is required: without it a save could not tell whether
    somebody else changed the record in the meantime.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=1,
        error_messages={"required": STALE_FORM, "invalid": STALE_FORM, "min_value": STALE_FORM},
    )
    # Service error field names that this form shows under another field.
    domain_field_names: dict[str, str] = {}

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].required = editing


class DepartmentForm(VersionForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = DepartmentField(
        label=_("Parent department"), queryset=Department.objects.order_by("path"), required=False
    )
    head = PersonField(
        label=_("Head"),
        queryset=Employee.objects.active().order_by("name"),
        required=False,
    )

    def __init__(self, *args: Any, instance: Department | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": instance.code,
                "name": instance.name,
                "parent": instance.parent_id,
                "head": instance.head_id,
                "version": instance.version,
            }
        super().__init__(*args, editing=instance is not None, **kwargs)
        if instance is not None:
            self.fields["parent"].queryset = Department.objects.exclude(
                path__startswith=instance.path
            ).order_by("path")
            if instance.head_id:
                # Someone who has left may still be the head; saving must not fail on it.
                self.fields["head"].queryset = Employee.objects.filter(
                    Q(status=EmployeeStatus.ACTIVE) | Q(pk=instance.head_id)
                ).order_by("name")


class EmployeeForm(VersionForm):
    domain_field_names = {"manager": "manager_number"}

    employee_number = forms.CharField(label=_("Employee number"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=120)
    email = forms.EmailField(label=_("Email"), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    job_family = forms.CharField(label=_("Job family"), max_length=64, required=False)
    level = forms.CharField(label=_("Level"), max_length=32, required=False)
    hire_date = forms.DateField(
        label=_("Hire date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    department = DepartmentField(
        label=_("Department"), queryset=Department.objects.order_by("path"), required=False
    )
    manager_number = forms.CharField(
        label=_("Manager's employee number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty for someone at the top of the company."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=EmployeeStatus.choices)
    left_on = forms.DateField(
        label=_("Left on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, instance: Employee | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "employee_number": instance.employee_number,
                "name": instance.name,
                "email": instance.email,
                "job_title": instance.job_title,
                "job_family": instance.job_family,
                "level": instance.level,
                "hire_date": instance.hire_date,
                "department": instance.department_id,
                "manager_number": instance.manager.employee_number if instance.manager else "",
                "status": instance.status,
                "left_on": instance.left_on,
                "version": instance.version,
            }
        super().__init__(*args, editing=instance is not None, **kwargs)

    def clean_manager_number(self) -> Employee | None:
        number = self.cleaned_data["manager_number"].strip()
        if not number:
            return None
        manager = Employee.objects.filter(employee_number=number).first()
        if manager is None:
            raise forms.ValidationError(_("No employee has this number."))
        return manager

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["manager"] = data.pop("manager_number")
        return data


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150)
    password = forms.CharField(
        label=_("New password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to import"),
        choices=[("employees", _("Employees")), ("departments", _("Departments"))],
    )
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
        if upload.size > limit:
            # Refused before the file is read into memory.
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
            )
        return upload
