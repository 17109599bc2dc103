"""The erasure's confirmation: a written reason and an explicit acknowledgement."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from perfcycle.privacy.services import MIN_REASON


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=MIN_REASON,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the data is erased, e.g. the former employee's request and its date."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        required=True,
    )
