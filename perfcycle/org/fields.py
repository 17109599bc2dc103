"""Choosing a person or a department in a form, at any company size.

A ``<select>`` of everyone one may choose is fine for a team and useless for a company:
HR's list of 100,000 people made a 5.5 MB page that took seconds to render and to use,
and 13,000 departments 735 kB. These fields show the list while it is short and
otherwise a box for the employee number or the department code, checked against the
same choices.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

LISTED = 500
"""Up to this many choices, a list; beyond, a box for the number or code."""


class _Typed(str):
    """A number or code as typed into the box (not an id, even when all digits)."""

    __slots__ = ()


class CodeInput(forms.TextInput):
    """The box for an employee number or a department code (shown instead of the list)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "maxlength": "32", **(attrs or {})})


class _TypedWhenLong:
    """What the one-choice and the several-choices fields share: counting the choices
    (once per queryset), and beyond ``LISTED`` swapping the list for ``box``, whose
    text is kept as typed."""

    box: type[forms.Widget] = forms.TextInput

    def __init__(self, queryset: QuerySet[Any] | None, **kwargs: Any) -> None:
        self._typed: bool | None = None
        super().__init__(queryset, **kwargs)  # type: ignore[call-arg]

    def _set_queryset(self, queryset: QuerySet[Any] | None) -> None:
        super()._set_queryset(queryset)  # type: ignore[misc]
        self._typed = None  # the new choices are counted when it matters

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    @property
    def typed(self) -> bool:
        """Too many choices to list: they are typed (one query, counting no more than
        one past the limit)."""
        if self._typed is None:
            qs = self.queryset
            self._typed = qs is not None and qs.order_by()[: LISTED + 1].count() > LISTED
        return self._typed

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> Any:
        widget = self.widget  # type: ignore[attr-defined]
        if self.typed and not isinstance(widget, self.box):
            box = self.box(attrs={k: v for k, v in widget.attrs.items() if k != "size"})
            box.is_required = self.required  # type: ignore[attr-defined]
            self.widget = box
        return super().get_bound_field(form, field_name)  # type: ignore[misc]

    def bound_data(self, data: Any, initial: Any) -> Any:
        data = super().bound_data(data, initial)  # type: ignore[misc]
        return _Typed(data) if self.typed and isinstance(data, str) else data

    def has_changed(self, initial: Any, data: Any) -> bool:
        if not self.typed:
            return super().has_changed(initial, data)  # type: ignore[misc]
        return str(self.prepare_value(initial) or "") != str(data or "").strip()  # type: ignore[attr-defined]

    def codes_of(self, values: list[Any], code: str) -> list[str]:
        """The ``code`` of each choice whose id is among ``values`` (initial values: ids,
        as a model or a link's ``?employee=`` gives them), in their order, in one query."""
        ids = [int(v) for v in values if isinstance(v, int) or str(v).isdigit()]
        model = self.queryset.model  # type: ignore[attr-defined]
        found = dict(model._default_manager.filter(pk__in=ids).values_list("pk", code))
        return [found[i] for i in ids if i in found]


class ChoiceByCodeField(_TypedWhenLong, forms.ModelChoiceField):
    """One of ``queryset``: chosen from a list while it holds at most ``LISTED`` choices,
    else typed as its ``code`` (a unique field). Either way the value is one of
    ``queryset``, or the field says why not."""

    box = CodeInput
    code = ""  # the field typed in the box
    default_error_messages = {"unknown_code": ""}

    def prepare_value(self, value: Any) -> Any:
        if not self.typed:
            return super().prepare_value(value)
        if isinstance(value, _Typed):  # what was typed (codes may be all digits)
            return value
        if isinstance(value, Model):
            return getattr(value, self.code)
        if value in self.empty_values:
            return ""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return next(iter(self.codes_of([value], self.code)), "")  # an initial id
        return value

    def to_python(self, value: Any) -> Any:
        if not self.typed:
            return super().to_python(value)
        if value in self.empty_values:
            return None
        code = str(value).strip()
        found = self.queryset.filter(**{self.code: code}).first()  # type: ignore[union-attr]
        if found is None:
            raise ValidationError(
                self.error_messages["unknown_code"], code="unknown_code", params={"code": code}
            )
        return found


class PersonField(ChoiceByCodeField):
    """An employee: a list of people, or beyond ``LISTED`` the employee number."""

    code = "employee_number"
    default_error_messages = {
        "unknown_code": _("No one with employee number %(code)s can be chosen here."),
    }


class DepartmentField(ChoiceByCodeField):
    """A department: a list, or beyond ``LISTED`` its code."""

    code = "code"
    default_error_messages = {
        "unknown_code": _("No department with code %(code)s can be chosen here."),
    }


_SEPARATORS = re.compile(r"[\s,;，；、]+")


class CodesInput(forms.Textarea):
    """The box for several employee numbers (shown instead of the list)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": "3", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, list | tuple):
            return " ".join(str(v) for v in value)
        return super().format_value(value)


class PeopleField(_TypedWhenLong, forms.ModelMultipleChoiceField):
    """Several employees from ``queryset``: ticked in a list while it holds at most
    ``LISTED`` people, else typed as employee numbers (separated by spaces, commas,
    semicolons or lines). Either way each is one of ``queryset``, or the field names
    the numbers it cannot take."""

    box = CodesInput
    default_error_messages = {
        **forms.ModelMultipleChoiceField.default_error_messages,
        "unknown_codes": _("No one with these employee numbers can be chosen here: %(codes)s."),
    }

    def prepare_value(self, value: Any) -> Any:
        if not self.typed:
            return super().prepare_value(value)
        if isinstance(value, _Typed):
            return value
        if not value:
            return ""
        values = value if isinstance(value, list | tuple) else [value]
        if all(isinstance(v, Model) for v in values):
            return " ".join(v.employee_number for v in values)
        return " ".join(self.codes_of(values, "employee_number"))

    def clean(self, value: Any) -> Any:
        if not self.typed:
            return super().clean(value)
        codes = [c for c in _SEPARATORS.split(str(value or "")) if c]
        if not codes:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return self.queryset.none()  # type: ignore[union-attr]
        found = self.queryset.filter(employee_number__in=codes)  # type: ignore[union-attr]
        known = set(found.values_list("employee_number", flat=True))
        unknown = [c for c in dict.fromkeys(codes) if c not in known]
        if unknown:
            raise ValidationError(
                self.error_messages["unknown_codes"],
                code="unknown_codes",
                params={"codes": ", ".join(unknown)},
            )
        return found
