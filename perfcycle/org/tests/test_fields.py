"""Choosing a person: a list for a team, a box for the employee number beyond that."""

from __future__ import annotations

import pytest
from django import forms

from perfcycle.org import fields
from perfcycle.org.fields import CodeInput, PersonField
from perfcycle.org.models import Employee
from tests.factories import EmployeeFactory


class Choose(forms.Form):
    person = PersonField(queryset=Employee.objects.none(), label="Person")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


@pytest.fixture
def people(company):
    return Employee.objects.filter(pk__in=[company.direct.pk, company.indirect.pk]).order_by("pk")


def test_a_short_list_is_a_list(company, people):
    form = Choose(people=people)
    html = str(form["person"])
    assert "<select" in html and company.direct.name in html
    bound = Choose({"person": str(company.indirect.pk)}, people=people)
    assert bound.is_valid() and bound.cleaned_data["person"] == company.indirect


def test_a_long_list_is_a_box_for_the_number(company, people, monkeypatch):
    monkeypatch.setattr(fields, "LISTED", 1)
    form = Choose(initial={"person": company.direct.pk}, people=people)
    html = str(form["person"])
    assert "<select" not in html and company.direct.name not in html
    assert isinstance(form.fields["person"].widget, CodeInput)
    assert f'value="{company.direct.employee_number}"' in html  # the initial id, as a number
    link = Choose(initial={"person": str(company.direct.pk)}, people=people)  # ?employee=
    assert f'value="{company.direct.employee_number}"' in str(link["person"])
    bound = Choose({"person": f" {company.indirect.employee_number} "}, people=people)
    assert bound.is_valid() and bound.cleaned_data["person"] == company.indirect
    # Someone not among the people, or no one: named, and the typed text kept.
    outsider = Choose({"person": company.stranger.employee_number}, people=people)
    assert not outsider.is_valid()
    assert company.stranger.employee_number in outsider.errors["person"][0]
    assert f'value="{company.stranger.employee_number}"' in str(outsider["person"])
    assert not Choose({"person": ""}, people=people).is_valid()


def test_a_number_of_digits_is_a_number_not_an_id(company, people, monkeypatch):
    monkeypatch.setattr(fields, "LISTED", 1)
    digits = EmployeeFactory(employee_number=str(company.indirect.pk))
    both = Employee.objects.filter(pk__in=[company.indirect.pk, digits.pk])
    bound = Choose({"person": str(company.indirect.pk)}, people=both)
    assert bound.is_valid() and bound.cleaned_data["person"] == digits
    wrong = Choose({"person": "0000"}, people=both)
    assert not wrong.is_valid()
    assert 'value="0000"' in str(wrong["person"])  # shown as typed, not read as an id


def test_a_department_beyond_the_list_is_typed_as_its_code(company, monkeypatch):
    from perfcycle.org.fields import DepartmentField
    from perfcycle.org.models import Department

    class Place(forms.Form):
        department = DepartmentField(queryset=Department.objects.order_by("path"))

    assert "<select" in str(Place()["department"])
    monkeypatch.setattr(fields, "LISTED", 2)  # three departments
    form = Place(initial={"department": company.sales.pk})
    assert f'value="{company.sales.code}"' in str(form["department"])
    bound = Place({"department": company.other.code})
    assert bound.is_valid() and bound.cleaned_data["department"] == company.other
    wrong = Place({"department": "NOPE"})
    assert not wrong.is_valid() and "NOPE" in wrong.errors["department"][0]


def test_several_people_beyond_the_list_are_typed_as_numbers(company, people, monkeypatch):
    from perfcycle.org.fields import CodesInput, PeopleField

    class Pick(forms.Form):
        who = PeopleField(queryset=Employee.objects.none(), required=False)

        def __init__(self, *args, people, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["who"].queryset = people

    assert "<select" in str(Pick(people=people)["who"])
    monkeypatch.setattr(fields, "LISTED", 1)
    form = Pick(initial={"who": [company.direct.pk, company.indirect.pk]}, people=people)
    html = str(form["who"])
    assert isinstance(form.fields["who"].widget, CodesInput) and "<textarea" in html
    assert f"{company.direct.employee_number} {company.indirect.employee_number}" in html
    numbers = f"{company.direct.employee_number}，{company.indirect.employee_number}\n"
    bound = Pick({"who": numbers}, people=people)
    assert bound.is_valid()
    assert set(bound.cleaned_data["who"]) == {company.direct, company.indirect}
    wrong = Pick({"who": f"{company.direct.employee_number} X1 X1"}, people=people)
    assert not wrong.is_valid() and wrong.errors["who"][0].endswith(": X1.")
    empty = Pick({"who": " "}, people=people)
    assert empty.is_valid() and list(empty.cleaned_data["who"]) == []
