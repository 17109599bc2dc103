"""Choosing a person in a form, at any company size.

A ``<select>`` of everyone one may choose is fine for a team and useless for a company:
HR's list of 100,000 people made a 5.5 MB page that took seconds to render and to use.
``PersonField`` shows the list while it is short and otherwise a box for the employee
number, checked against the same people.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from perfcycle.org.models import Employee

LISTED_PEOPLE = 500
"""Up to this many people to choose from, a list; beyond, a box for the employee number."""


class _Typed(str):
    """An employee number as typed into the box (not an id, even when all digits)."""

    __slots__ = ()


class PersonNumberInput(forms.TextInput):
    """The box for an employee number (shown instead of the list)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"autocomplete": "off", "maxlength": "32", "inputmode": "text", **(attrs or {})}
        )


class PersonField(forms.ModelChoiceField):
    """An employee from ``queryset``: chosen from a list while it holds at most
    ``LISTED_PEOPLE`` people, else typed as an employee number. Either way the value is
    one of ``queryset``, or the field says why not."""

    default_error_messages = {
        "unknown_number": _("No one with employee number %(number)s can be chosen here."),
    }

    def __init__(self, queryset: QuerySet[Employee], **kwargs: Any) -> None:
        self._typed: bool | None = None
        super().__init__(queryset, **kwargs)

    def _set_queryset(self, queryset: QuerySet[Employee] | None) -> None:
        super()._set_queryset(queryset)
        self._typed = None  # the new people are counted when it matters

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    @property
    def typed(self) -> bool:
        """Too many people to list: the number is typed (one query, counting no more
        than one past the limit)."""
        if self._typed is None:
            qs = self.queryset
            self._typed = qs is not None and qs.order_by()[: LISTED_PEOPLE + 1].count() > (
                LISTED_PEOPLE
            )
        return self._typed

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> Any:
        if self.typed and not isinstance(self.widget, PersonNumberInput):
            widget = PersonNumberInput(attrs=dict(self.widget.attrs))
            widget.is_required = self.required
            self.widget = widget
        return super().get_bound_field(form, field_name)

    def prepare_value(self, value: Any) -> Any:
        if not self.typed:
            return super().prepare_value(value)
        if isinstance(value, Employee):
            return value.employee_number
        if value in self.empty_values:
            return ""
        if isinstance(value, _Typed):  # what was typed (numbers may be all digits)
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            # An initial value (from a model or a link's ?employee=): the person's id.
            number = (
                Employee.objects.filter(pk=int(value)).values_list("employee_number", flat=True)
            ).first()
            return number or ""
        return value

    def bound_data(self, data: Any, initial: Any) -> Any:
        data = super().bound_data(data, initial)
        return _Typed(data) if self.typed and isinstance(data, str) else data

    def to_python(self, value: Any) -> Employee | None:
        if not self.typed:
            return super().to_python(value)
        if value in self.empty_values:
            return None
        number = str(value).strip()
        found = self.queryset.filter(employee_number=number).first()
        if found is None:
            raise ValidationError(
                self.error_messages["unknown_number"],
                code="unknown_number",
                params={"number": number},
            )
        return found

    def has_changed(self, initial: Any, data: Any) -> bool:
        if not self.typed:
            return super().has_changed(initial, data)
        return str(self.prepare_value(initial) or "") != str(data or "").strip()
