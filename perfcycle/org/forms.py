from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from perfcycle.org.models import Department, Employee, EmployeeStatus


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DepartmentForm(VersionForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Parent department"), queryset=Department.objects.order_by("path"), required=False
    )
    head = forms.ModelChoiceField(
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
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["parent"].queryset = Department.objects.exclude(
                path__startswith=instance.path
            ).order_by("path")
            self.fields["head"].queryset = (
                Employee.objects.active().in_department_tree(instance).order_by("name")
            )


class EmployeeForm(VersionForm):
    employee_number = forms.CharField(label=_("Employee number"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=120)
    email = forms.EmailField(label=_("Email"), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    job_family = forms.CharField(label=_("Job family"), max_length=64, required=False)
    level = forms.CharField(label=_("Level"), max_length=32, required=False)
    hire_date = forms.DateField(
        label=_("Hire date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    department = forms.ModelChoiceField(
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
        super().__init__(*args, **kwargs)

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
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current password."),
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to import"),
        choices=[("employees", _("Employees")), ("departments", _("Departments"))],
    )
    file = forms.FileField(label=_("CSV or XLSX file"))
