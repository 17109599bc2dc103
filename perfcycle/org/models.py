"""The organisation: departments (a tree) and employees (a reporting tree).

Both trees keep a materialised ``path`` of ancestor ids (``/1/5/23/``, the node itself
last), so "everyone under this manager" and "every department under this one" are one
indexed prefix query at any company size. Services keep the paths true; nothing else
writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import VersionedModel

PATH_MAX_LENGTH = 1000


def child_path(parent_path: str, pk: int) -> str:
    return f"{parent_path or '/'}{pk}/"


def path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


class DepartmentQuerySet(models.QuerySet):
    def subtree(self, department: Department, *, include_self: bool = True) -> DepartmentQuerySet:
        qs = self.filter(path__startswith=department.path)
        return qs if include_self else qs.exclude(pk=department.pk)

    def in_tree_order(self) -> DepartmentQuerySet:
        return self.order_by("path")


class Department(VersionedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    head = models.ForeignKey(
        "org.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("head"),
    )
    path = models.CharField(max_length=PATH_MAX_LENGTH, blank=True, db_index=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(len(path_ids(self.path)) - 1, 0)


class EmployeeStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    LEFT = "left", _("left")


class EmployeeQuerySet(models.QuerySet):
    def active(self) -> EmployeeQuerySet:
        return self.filter(status=EmployeeStatus.ACTIVE)

    def subtree(self, manager: Employee, *, include_self: bool = False) -> EmployeeQuerySet:
        """Everyone who reports to ``manager`` directly or indirectly."""
        qs = self.filter(path__startswith=manager.path)
        return qs if include_self else qs.exclude(pk=manager.pk)

    def direct_reports(self, manager: Employee) -> EmployeeQuerySet:
        return self.filter(manager=manager)

    def in_department_tree(self, department: Department) -> EmployeeQuerySet:
        return self.filter(department__path__startswith=department.path)

    def with_report_counts(self) -> EmployeeQuerySet:
        return self.annotate(
            report_count=models.Count(
                "reports", filter=models.Q(reports__status=EmployeeStatus.ACTIVE)
            )
        )


class Employee(VersionedModel):
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    job_family = models.CharField(_("job family"), max_length=64, blank=True, db_index=True)
    level = models.CharField(_("level"), max_length=32, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    manager = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("manager"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EmployeeStatus.choices, default=EmployeeStatus.ACTIVE
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("login"),
    )
    path = models.CharField(max_length=PATH_MAX_LENGTH, blank=True, db_index=True)

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_number"]
        # Lists by name page without sorting everyone.
        indexes = [models.Index(fields=["name", "id"], name="employee_name")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")), name="employee_not_own_manager"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", left_on__isnull=True) | models.Q(status="left"),
                name="employee_left_on_only_when_left",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"

    @property
    def is_active(self) -> bool:
        return self.status == EmployeeStatus.ACTIVE

    @property
    def ancestor_ids(self) -> list[int]:
        """Managers above this person, top first."""
        return path_ids(self.path)[:-1]

    @property
    def depth(self) -> int:
        return len(self.ancestor_ids)
