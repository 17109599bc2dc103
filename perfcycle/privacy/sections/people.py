"""The person and their login: the employee record, login, API tokens, roles, cycles
taken part in (department and manager at the time), notifications, the audit events of
their record and login and those they caused, and the files they imported."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from perfcycle.accounts.models import ApiToken, User
from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import (
    Appeal,
    CalibrationSession,
)
from perfcycle.cycles.models import CycleParticipant
from perfcycle.imports.models import ImportFile
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Department, Employee
from perfcycle.privacy.sections.common import (
    Context,
    Sections,
    make_row,
    make_rows,
    name_of,
)


def collect(ctx: Context) -> Sections:
    me = ctx.me
    user = ctx.user
    s: Sections = {}
    s["person"] = [
        make_row(
            id=me.pk,
            employee_number=me.employee_number,
            name=me.name,
            email=me.email,
            job_title=me.job_title,
            job_family=me.job_family,
            level=me.level,
            hire_date=me.hire_date,
            status=me.get_status_display(),
            left_on=me.left_on,
            department=me.department.name if me.department else None,
            manager=name_of(me.manager),
            created_at=me.created_at,
            updated_at=me.updated_at,
        )
    ]
    s["account"] = (
        [
            make_row(
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                language=user.language,
                active=user.is_active,
                hr_admin=user.is_hr_admin,
                joined=user.date_joined,
                last_login=user.last_login,
            )
        ]
        if user is not None
        else []
    )
    s["api_tokens"] = (
        make_rows(
            ApiToken.objects.filter(user=user).order_by("created_at", "pk"),
            lambda t: make_row(
                name=t.name,
                prefix=t.prefix,
                created_at=t.created_at,
                expires_at=t.expires_at,
                last_used_at=t.last_used_at,
                revoked_at=t.revoked_at,
            ),
        )
        if user is not None
        else []
    )
    s["roles"] = [
        *(
            make_row(role=_("department head"), what=d.name, cycle=None)
            for d in Department.objects.filter(head=me).order_by("path")
        ),
        *(
            make_row(role=_("calibrator"), what=session.name, cycle=session.cycle.name)
            for session in CalibrationSession.objects.filter(calibrators=me)
            .select_related("cycle")
            .order_by("cycle__start_date", "name")
        ),
        *(
            make_row(role=_("appeal reviewer"), what=f"#{a.pk}", cycle=a.result.cycle.name)
            for a in Appeal.objects.filter(Q(skip_level=me) | Q(committee=me))
            .exclude(result__employee=me)
            .select_related("result__cycle")
            .distinct()
            .order_by("pk")
        ),
    ]
    s["cycle_participations"] = make_rows(
        CycleParticipant.objects.filter(employee=me)
        .select_related("cycle", "department", "manager")
        .order_by("cycle__start_date", "pk"),
        lambda p: make_row(
            cycle=p.cycle.name,
            cycle_start=p.cycle.start_date,
            cycle_end=p.cycle.end_date,
            department=p.department.name if p.department else None,
            manager=name_of(p.manager),
            joined_at=p.created_at,
        ),
    )
    s["notifications"] = (
        make_rows(
            Notification.objects.filter(user=user).order_by("created_at", "pk"),
            lambda n: make_row(
                kind=n.get_kind_display(),
                title=n.title,
                details=n.body,
                link=n.url,
                created_at=n.created_at,
                read_at=n.read_at,
            ),
        )
        if user is not None
        else []
    )
    s["audit_events"] = _audit_events(me, user)
    s["imports_uploaded"] = (
        [
            make_row(
                kind=row["kind"],
                file_name=row["filename"],
                uploaded_at=row["uploaded_at"],
                status=row["status"],
            )
            for row in ImportFile.objects.filter(uploaded_by=user)
            .order_by("uploaded_at", "pk")
            .values("kind", "filename", "uploaded_at", "status")
        ]
        if user is not None
        else []
    )
    return s


def _audit_events(me: Employee, user: User | None) -> list[dict[str, Any]]:
    """Events about the person's own records (in full) and the events they caused on
    other records (which fields changed, not the values: those are other people's)."""
    own = Q(object_type="org.employee", object_id=str(me.pk))
    if user is not None:
        own |= Q(object_type="accounts.user", object_id=str(user.pk))
    wanted = own | Q(actor=user) if user is not None else own
    rows = []
    for event in AuditEvent.objects.filter(wanted).order_by("at", "id").iterator():
        mine = (event.object_type == "org.employee" and event.object_id == str(me.pk)) or (
            user is not None
            and event.object_type == "accounts.user"
            and event.object_id == str(user.pk)
        )
        fields = sorted(set(event.before or {}) | set(event.after or {}))
        rows.append(
            make_row(
                at=event.at,
                who=event.who,
                action=event.get_action_display(),
                source=event.get_source_display(),
                object_type=event.object_type,
                object_id=event.object_id,
                object=event.object_repr,
                fields=fields,
                before=event.before if mine else None,
                after=event.after if mine else None,
                reason=event.reason if mine else "",
                ip_address=event.ip_address,
            )
        )
    return rows
