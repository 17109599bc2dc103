"""Your notifications over the API: strictly your own; another user's id answers 404."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.api.common import ERRORS
from perfcycle.api.pagination import Page
from perfcycle.notifications import selectors, services
from perfcycle.notifications.models import NotificationKind

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    title: str
    body: str
    url: str = Field(..., description="The page it is about, relative to the site; may be empty.")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationFilters(Schema):
    unread: bool | None = Field(None, description="Only unread (true) or only read (false).")


class ReadAllOut(Schema):
    marked: int = Field(..., description="How many unread notifications were marked read.")


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(Page)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    qs = selectors.notifications_for(user=request.user)
    if filters.unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif filters.unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


@router.post(
    "/notifications/read-all", response={200: ReadAllOut, **ERRORS}, summary="Mark all read"
)
def read_all(request: HttpRequest) -> Any:
    return {"marked": services.notification_mark_all_read(user=request.user)}


@router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark one notification read",
)
def read_one(request: HttpRequest, notification_id: int) -> Any:
    return services.notification_mark_read(user=request.user, notification_id=notification_id)
