"""What the employee page offers about personal data, asked of the policy."""

from __future__ import annotations

from typing import Any

from django import template

from perfcycle.access.policy import Action, may
from perfcycle.org.models import Employee

register = template.Library()


@register.simple_tag(takes_context=True)
def privacy_actions(context: dict[str, Any], employee: Employee) -> dict[str, bool]:
    """``export``: the viewer may download the person's data; ``erase``: the viewer may
    erase it and the person has left."""
    from perfcycle.privacy.services import is_erased

    user = context["request"].user
    return {
        "export": may(user, Action.PERSONAL_DATA_EXPORT, employee),
        "erase": may(user, Action.PERSONAL_DATA_ERASE, employee)
        and not employee.is_active
        and not is_erased(employee),
    }
