"""Writing notifications: ``notify`` (in bulk, deduplicated, with one email per person)
and marking them read.

``notify`` takes drafts whose title and body are translatable format strings; each is
written in its reader's language (``User.language``, else ``settings.LANGUAGE_CODE``).
A draft whose ``dedupe_key`` the user already has is skipped, so a rule may propose the
same reminder every day and the person hears about it once. Emails go out after the
transaction commits, one per person summarising what is new for them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perfcycle.accounts.models import User
from perfcycle.core.errors import NotFound
from perfcycle.notifications.models import Notification

logger = logging.getLogger("perfcycle.notifications")

# Existing keys are looked up this many at a time (well under every database's limit).
CHUNK = 500


@dataclass(frozen=True)
class NotificationDraft:
    """A notification to write: ``title`` and ``body`` are (lazily translated) format
    strings filled with ``params`` in the reader's language."""

    user_id: int
    kind: str
    dedupe_key: str
    title: str | Promise
    body: str | Promise = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _render(text: str | Promise, params: Mapping[str, Any]) -> str:
    values = {k: str(v) if isinstance(v, Promise) else v for k, v in params.items()}
    return str(text) % values if values else str(text)


def _existing_keys(drafts: list[NotificationDraft]) -> set[tuple[int, str]]:
    keys = sorted({d.dedupe_key for d in drafts})
    user_ids = {d.user_id for d in drafts}
    found: set[tuple[int, str]] = set()
    for start in range(0, len(keys), CHUNK):
        found |= set(
            Notification.objects.filter(dedupe_key__in=keys[start : start + CHUNK])
            .filter(user_id__in=user_ids)
            .values_list("user_id", "dedupe_key")
        )
    return found


def notify(*, drafts: Iterable[NotificationDraft], email: bool = True) -> list[Notification]:
    """Write the drafts the users do not have yet; email each person a summary of theirs.

    A constant number of queries whatever the number of drafts (keys are looked up in
    chunks of ``CHUNK``). Inactive users and unknown ids are skipped.
    """
    unique: dict[tuple[int, str], NotificationDraft] = {}
    for draft in drafts:
        unique.setdefault((draft.user_id, draft.dedupe_key), draft)
    if not unique:
        return []
    pending = list(unique.values())
    existing = _existing_keys(pending)
    pending = [d for d in pending if (d.user_id, d.dedupe_key) not in existing]
    if not pending:
        return []
    users = {
        u.pk: u
        # With the employee, for the name the email greets (no query per person).
        for u in User.objects.filter(
            pk__in={d.user_id for d in pending}, is_active=True
        ).select_related("employee")
    }
    rows: list[Notification] = []
    for draft in pending:
        user = users.get(draft.user_id)
        if user is None:
            continue
        with translation.override(_language(user)):
            rows.append(
                Notification(
                    user=user,
                    kind=draft.kind,
                    title=_render(draft.title, draft.params)[:300],
                    body=_render(draft.body, draft.params) if draft.body else "",
                    url=draft.url,
                    dedupe_key=draft.dedupe_key,
                )
            )
    with transaction.atomic():
        # A concurrent run may have written the same key meanwhile: skip it quietly.
        Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        if email and rows:
            transaction.on_commit(lambda: send_summary_emails(rows))
    return rows


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.PERFCYCLE_SITE_URL.rstrip("/") + url


def summary_email(user: User, notifications: list[Notification]) -> EmailMessage:
    """One email listing ``notifications``, in the user's language."""
    with translation.override(_language(user)):
        count = len(notifications)
        subject = ngettext(
            "Perfcycle: %(count)s new reminder", "Perfcycle: %(count)s new reminders", count
        ) % {"count": count}
        body = render_to_string(
            "notifications/email/summary.txt",
            {
                "user": user,
                "items": [(n, _absolute(n.url)) for n in notifications],
                "inbox_url": _absolute("/notifications/"),
                "count": count,
            },
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_summary_emails(notifications: list[Notification]) -> int:
    """Email each person with an address one summary of their ``notifications``."""
    by_user: dict[int, list[Notification]] = defaultdict(list)
    users: dict[int, User] = {}
    for n in notifications:
        if n.user.email:
            by_user[n.user.pk].append(n)
            users[n.user.pk] = n.user
    messages = [summary_email(users[pk], items) for pk, items in by_user.items()]
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # the notifications are saved; a mail outage must not undo them
        logger.exception("Sending %s reminder emails failed", len(messages))
        return 0


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; someone else's answers ``NotFound``."""
    notification = Notification.objects.for_user(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    """Mark all of ``user``'s unread notifications read; how many there were."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())
