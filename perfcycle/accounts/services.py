"""Writes to accounts: language preference, HR role, API tokens. All audited."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import ApiToken, User, hash_token
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import ValidationFailed


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("Unknown language."), details={"fields": {"language": []}})
    before = snapshot(actor, ["language"])
    actor.language = language
    actor.save(update_fields=["language"])
    audit_change(actor=actor, instance=actor, before=before)
    return actor


@transaction.atomic
def user_set_hr_admin(*, actor: User | None, user: User, is_hr_admin: bool) -> User:
    before = snapshot(user, ["is_hr_admin"])
    user.is_hr_admin = is_hr_admin
    user.save(update_fields=["is_hr_admin"])
    audit_change(actor=actor, instance=user, before=before)
    return user


@transaction.atomic
def token_create(
    *, actor: User, user: User, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``. The raw token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationFailed(
            _("Give the token a name, e.g. the system that will use it."),
            details={"fields": {"name": [_("This field is required.")]}},
        )
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:10],
        digest=hash_token(raw),
        expires_at=(
            timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        ),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=token,
        after=snapshot(token, ["user", "name", "prefix", "expires_at"]),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user behind a raw token, or None. Touches ``last_used_at`` sparingly."""
    if not raw or not raw.startswith("pc_"):
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(digest=hash_token(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
