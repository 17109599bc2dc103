"""Notifications about salary review and promotion proposals: the task the proposals
stage names (``perfcycle.core.later.enqueue_on_commit``) at each step.

Who hears what:

- submitted or resubmitted: the endorsers — the nominator's own manager when they are
  above the employee, else the HR admins;
- endorsed: the HR admins, who decide;
- returned: the nominator, who edits and resubmits or withdraws;
- approved: the employee and the nominator;
- rejected: the nominator only (the employee is never told about a rejected nomination).

Each in the recipient's language (``services.notify``), deduplicated per step.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from perfcycle.accounts.models import User
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify
from perfcycle.proposals.models import Proposal, RoundKind

KIND = NotificationKind.PROPOSAL
EVENTS = ("submitted", "resubmitted", "endorsed", "returned", "approved", "rejected")


def _url(pk: int) -> str:
    try:
        return reverse("proposals:proposal", args=[pk])
    except NoReverseMatch:
        return ""


def _hr_user_ids() -> list[int]:
    return list(
        User.objects.filter(is_hr_admin=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def endorser_user_ids(proposal: Proposal) -> list[int]:
    """The nominator's own manager if they are above the employee, else HR."""
    nominator = proposal.nominated_by
    boss = nominator.manager if nominator is not None else None
    if (
        boss is not None
        and boss.user_id is not None
        and boss.pk in proposal.employee.ancestor_ids
        and boss.pk != proposal.employee_id
    ):
        return [boss.user_id]
    return _hr_user_ids()


def proposal_drafts(proposal: Proposal, event: str) -> list[NotificationDraft]:
    """What to tell whom about ``proposal`` after ``event``."""
    employee = proposal.employee
    nominator_user = proposal.nominated_by.user_id if proposal.nominated_by else None
    promotion = proposal.round.kind == RoundKind.PROMOTION
    params = {"name": employee.name, "round": proposal.round.name}
    key = f"proposal:{proposal.pk}:{event}:{proposal.version}"
    url = _url(proposal.pk)
    recipients: list[int] = []
    title = body = None
    if event in ("submitted", "resubmitted"):
        recipients = endorser_user_ids(proposal)
        title = (
            _("%(name)s is nominated for promotion (%(round)s)")
            if promotion
            else _("%(name)s is nominated for a salary increase (%(round)s)")
        )
        body = _("Endorse the nomination or return it to the nominator on its page.")
    elif event == "endorsed":
        recipients = _hr_user_ids()
        title = _("The nomination of %(name)s is endorsed (%(round)s)")
        body = _("Approve or reject it on its page.")
    elif event == "returned":
        recipients = [nominator_user] if nominator_user else []
        title = _("Your nomination of %(name)s was returned (%(round)s)")
        body = _("Read the reason, edit the nomination and resubmit it, or withdraw it.")
    elif event == "approved":
        drafts = []
        if employee.user_id:
            drafts.append(
                NotificationDraft(
                    user_id=employee.user_id,
                    kind=KIND,
                    dedupe_key=key,
                    title=_("Congratulations: your promotion is approved")
                    if promotion
                    else _("Congratulations: your salary increase is approved"),
                    body=_("It takes effect on %(date)s. The details are on its page."),
                    params={**params, "date": f"{proposal.effective_on:%Y-%m-%d}"},
                    url=url,
                )
            )
        if nominator_user and nominator_user != employee.user_id:
            drafts.append(
                NotificationDraft(
                    user_id=nominator_user,
                    kind=KIND,
                    dedupe_key=key,
                    title=_("Your nomination of %(name)s is approved (%(round)s)"),
                    body=_("It takes effect on %(date)s."),
                    params={**params, "date": f"{proposal.effective_on:%Y-%m-%d}"},
                    url=url,
                )
            )
        return drafts
    elif event == "rejected":
        recipients = [nominator_user] if nominator_user else []
        title = _("Your nomination of %(name)s was rejected (%(round)s)")
        body = _("The reason is on the nomination's page.")
    if title is None:
        return []
    return [
        NotificationDraft(
            user_id=user_id,
            kind=KIND,
            dedupe_key=key,
            title=title,
            body=body or "",
            params=params,
            url=url,
        )
        for user_id in sorted(set(recipients))
        if user_id != employee.user_id
    ]


@task()
def notify_proposal(proposal_id: int, event: str) -> int:
    """Tell the people concerned about ``event`` on the proposal; how many were new."""
    proposal = (
        Proposal.objects.select_related("round", "employee", "nominated_by__manager")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or event not in EVENTS:
        return 0
    return len(notify(drafts=proposal_drafts(proposal, event)))
