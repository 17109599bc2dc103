"""Reads of the organisation, each a constant number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from perfcycle.access.policy import Action, scope
from perfcycle.org.models import Department, Employee, EmployeeStatus


@dataclass
class DepartmentNode:
    department: Department
    member_count: int
    children: list[DepartmentNode] = field(default_factory=list)
    total: int = 0  # active people in it and below
    more: int = 0  # sub-departments not shown in the chart (its page lists them)

    @property
    def total_count(self) -> int:
        return self.total


ORG_CHART_SHOWN = 300
"""Departments the org chart shows: as many whole levels of the tree as fit (a company of
13,000 departments made a 3.9 MB page); each department cut off below says how many
sub-departments its own page lists."""


def _totals(node: DepartmentNode) -> int:
    node.total = node.member_count + sum(_totals(child) for child in node.children)
    return node.total


def _cut(roots: list[DepartmentNode], shown: int) -> None:
    """Keep the first levels of the forest that hold ``shown`` departments or fewer
    (always the first); below them, only the number of sub-departments."""
    level, count = roots, len(roots)
    while level:
        below = [child for node in level for child in node.children]
        if count + len(below) > shown:
            for node in level:
                node.more, node.children = len(node.children), []
            return
        count += len(below)
        level = below


def department_tree() -> list[DepartmentNode]:
    """The departments as a forest with active member counts (of each and of all below
    it), in one query; cut below ``ORG_CHART_SHOWN`` departments (``_cut``)."""
    departments = (
        Department.objects.select_related("head")
        .annotate(member_count=Count("members", filter=Q(members__status=EmployeeStatus.ACTIVE)))
        .order_by("path")
    )
    nodes: dict[int, DepartmentNode] = {}
    roots: list[DepartmentNode] = []
    for department in departments:
        node = DepartmentNode(department, department.member_count)
        nodes[department.pk] = node
        parent = nodes.get(department.parent_id) if department.parent_id else None
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.department.name)
    roots.sort(key=lambda n: n.department.name)
    for root in roots:
        _totals(root)
    _cut(roots, ORG_CHART_SHOWN)
    return roots


def employee_list(
    *, user: Any, search: str = "", department: Department | None = None, status: str = ""
) -> QuerySet[Employee]:
    """The employees ``user`` may see, filtered; ready for pagination."""
    qs = scope(user, Action.EMPLOYEE_LIST, Employee.objects.all())
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(employee_number__icontains=search)
            | Q(email__icontains=search)
            | Q(job_title__icontains=search)
        )
    if department is not None:
        qs = qs.in_department_tree(department)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("department", "manager").order_by("employee_number")


def manager_chain(employee: Employee) -> list[Employee]:
    """The people above ``employee``, top first, in one query."""
    ids = employee.ancestor_ids
    if not ids:
        return []
    found = Employee.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def department_chain(department: Department) -> list[Department]:
    from perfcycle.org.models import path_ids

    ids = path_ids(department.path)[:-1]
    found = Department.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def company_summary() -> dict[str, int]:
    """Head counts for HR's home page. A manager is an active person with active reports.

    Managers are counted apart, as the active people among the active people's managers
    (one semi-join, read once), not by asking every person whether they have reports: at
    100,000 people that was 100,000 probes and the slowest query of the page.
    """
    active = Employee.objects.filter(status=EmployeeStatus.ACTIVE)
    counts = Employee.objects.aggregate(
        active=Count("pk", filter=Q(status=EmployeeStatus.ACTIVE)),
        left=Count("pk", filter=Q(status=EmployeeStatus.LEFT)),
    )
    counts["managers"] = active.filter(pk__in=active.values("manager_id")).count()
    counts["departments"] = Department.objects.count()
    return counts
