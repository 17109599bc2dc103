"""Notifications about appeals (申诉): the daily "appeal due" rule and the task the
calibration stage names (``perfcycle.core.later.enqueue_on_commit``) when an appeal is
filed, routed or decided.

Who hears what:

- filed: HR, with the employee's name (HR may know who appeals);
- routed: the skip-level manager and committee members, who now review it;
- decided: the employee, with the outcome (the reason is on the appeal's page);
- due within ``APPEAL_DUE_DAYS`` working days or overdue: HR and the appeal's members,
  once per appeal per day.
"""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Appeal, AppealStatus
from perfcycle.calibration.workdays import add_working_days
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify

APPEAL_DUE_DAYS = 2
OPEN = (AppealStatus.FILED, AppealStatus.UNDER_REVIEW)
# There is no appeal kind among the notification kinds yet: they read as deadlines.
KIND = NotificationKind.APPEAL


def _url(pk: int) -> str:
    try:
        return reverse("calibration:appeal", args=[pk])
    except NoReverseMatch:
        return ""


def _hr_user_ids() -> list[int]:
    return list(
        User.objects.filter(is_hr_admin=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def appeals_due(*, today: dt.date) -> list[NotificationDraft]:
    """Open appeals due within ``APPEAL_DUE_DAYS`` working days, or overdue: to HR and to
    the appeal's members (skip-level manager, committee); once per appeal per day.
    Three queries whatever the number of appeals."""
    rows = list(
        Appeal.objects.filter(
            status__in=OPEN, due_on__lte=add_working_days(today, APPEAL_DUE_DAYS)
        ).values("pk", "due_on", "result__employee__name", "skip_level__user_id")
    )
    if not rows:
        return []
    members: dict[int, set[int]] = {}
    for appeal_id, user_id in Appeal.committee.through.objects.filter(
        appeal_id__in=[r["pk"] for r in rows], employee__user__isnull=False
    ).values_list("appeal_id", "employee__user_id"):
        members.setdefault(appeal_id, set()).add(user_id)
    hr = set(_hr_user_ids())
    drafts = []
    for row in rows:
        users = hr | members.get(row["pk"], set())
        if row["skip_level__user_id"] is not None:
            users.add(row["skip_level__user_id"])
        overdue = row["due_on"] < today
        for user_id in sorted(users):
            drafts.append(
                NotificationDraft(
                    user_id=user_id,
                    kind=KIND,
                    dedupe_key=f"appeal-due:{row['pk']}:{today:%Y-%m-%d}",
                    title=_("Overdue: the appeal of %(name)s was due on %(date)s")
                    if overdue
                    else _("The appeal of %(name)s is due on %(date)s"),
                    body=_("Decide the appeal, with a written reason, on its page."),
                    params={
                        "name": row["result__employee__name"],
                        "date": f"{row['due_on']:%Y-%m-%d}",
                    },
                    url=_url(row["pk"]),
                )
            )
    return drafts


def appeal_drafts(appeal: Appeal) -> list[NotificationDraft]:
    """What to tell whom about ``appeal`` in its present state."""
    employee = appeal.result.employee
    params = {"name": employee.name, "cycle": appeal.result.cycle.name, "date": appeal.due_on}
    url = _url(appeal.pk)
    if appeal.status == AppealStatus.FILED:
        return [
            NotificationDraft(
                user_id=user_id,
                kind=KIND,
                dedupe_key=f"appeal-filed:{appeal.pk}",
                title=_("%(name)s appealed their result for %(cycle)s"),
                body=_("Route the appeal or decide it by %(date)s."),
                params=params,
                url=url,
            )
            for user_id in _hr_user_ids()
        ]
    if appeal.status == AppealStatus.UNDER_REVIEW:
        users = {m.user_id for m in appeal.committee.all() if m.user_id}
        if appeal.skip_level is not None and appeal.skip_level.user_id:
            users.add(appeal.skip_level.user_id)
        return [
            NotificationDraft(
                user_id=user_id,
                kind=KIND,
                dedupe_key=f"appeal-routed:{appeal.pk}",
                title=_("An appeal of %(name)s is yours to review"),
                body=_("HR asked you to review this appeal; it is due on %(date)s."),
                params=params,
                url=url,
            )
            for user_id in sorted(users)
        ]
    if employee.user_id is None or appeal.decided_at is None:
        return []
    return [
        NotificationDraft(
            user_id=employee.user_id,
            kind=KIND,
            dedupe_key=f"appeal-decided:{appeal.pk}:{appeal.decided_at:%Y%m%d%H%M%S}",
            title=_("Your appeal for %(cycle)s was upheld")
            if appeal.status == AppealStatus.UPHELD
            else _("Your appeal for %(cycle)s was rejected"),
            body=_("Read the decision and its reason on the appeal's page."),
            params=params,
            url=url,
        )
    ]


@task()
def notify_appeal(appeal_id: int) -> int:
    """Tell the people concerned about the appeal's present state; how many were new."""
    appeal = (
        Appeal.objects.select_related("result__employee", "result__cycle", "skip_level")
        .prefetch_related("committee")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        return 0
    return len(notify(drafts=appeal_drafts(appeal)))
