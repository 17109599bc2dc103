"""The people rows of a calibration session page, written out in Python.

A session holds up to a few thousand people, each row with its own change form; the
template engine takes seconds for that many, this takes milliseconds. The markup is the
same the template wrote (``calibration/session.html`` keeps the table around it):
every value escaped as the template's autoescape would, everything that is the same on
every row — labels, URLs, the CSRF field, the grade and potential menus — made once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from perfcycle.calibration.models import CalibrationSession, Potential
from perfcycle.calibration.sessions import RaterNote, SessionRow
from perfcycle.planning import explain

DASH = "—"
HAS_ERROR = ' class="has-error"'


def _text(value: Any) -> str:
    return escape(str(value))


def _or_dash(value: Any) -> str:
    return _text(value) if value else DASH


def _options(values: Sequence[tuple[str, str]], selected: str | None) -> str:
    return "".join(
        f'<option value="{_text(v)}"{" selected" if v == selected else ""}>{_text(t)}</option>'
        for v, t in values
    )


class _Form:
    """The parts of a row's change form that do not depend on the row."""

    def __init__(
        self,
        request: Any,
        session: CalibrationSession,
        codes: Sequence[str],
        potentials: Sequence[tuple[str, Any]],
    ) -> None:
        self.adjust_url = _text(reverse("calibration:session_adjust", args=[session.pk]))
        self.potential_url = _text(reverse("calibration:session_potential", args=[session.pk]))
        self.csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
        self.final_grade = _text(_("Final grade"))
        self.potential = _text(_("Potential"))
        self.reason = _text(_("Reason"))
        self.change = _text(_("Change"))
        self.change_grade = _text(_("Change grade"))
        self.set_potential = _text(_("Set potential"))
        grade_pairs = [(c, c) for c in codes]
        potential_pairs = [(v, str(t)) for v, t in potentials]
        self.grade_menus = {c: _options(grade_pairs, c) for c in [*codes, ""]}
        self.potential_menus = {
            v: f'<option value="">{DASH}</option>' + _options(potential_pairs, v)
            for v in [v for v, _t in potential_pairs] + [""]
        }
        self._grade_pairs = grade_pairs
        self._potential_pairs = potential_pairs

    def grade_menu(self, selected: str) -> str:
        menu = self.grade_menus.get(selected)
        return menu if menu is not None else _options(self._grade_pairs, selected)

    def potential_menu(self, selected: str) -> str:
        menu = self.potential_menus.get(selected)
        if menu is None:
            menu = f'<option value="">{DASH}</option>' + _options(self._potential_pairs, selected)
        return menu

    def render(self, r: SessionRow, error: Mapping[str, Any] | None) -> str:
        pk = r.pk
        chosen = error.get("grade") if error else None
        grade = self.grade_menu(chosen if chosen else r.grade)
        chosen_potential = error.get("potential") if error else None
        reason = _text(error.get("reason", "")) if error else ""
        message = (
            f'<p class="error" role="alert">{_text(error.get("message", ""))}</p>' if error else ""
        )
        return (
            f'<td data-label="{self.change}">'
            f'<form method="post" action="{self.adjust_url}" class="session-change">'
            f"{self.csrf}\n"
            f'      <input type="hidden" name="result" value="{pk}">'
            f'<input type="hidden" name="version" value="{r.version}">\n'
            f'      <label class="sr-only" for="grade-{pk}">{self.final_grade}</label>\n'
            f'      <select name="grade" id="grade-{pk}">{grade}</select>\n'
            f'      <label class="sr-only" for="potential-{pk}">{self.potential}</label>\n'
            f'      <select name="potential" id="potential-{pk}">'
            f"{self.potential_menu(chosen_potential or r.potential)}</select>\n"
            f'      <label class="sr-only" for="reason-{pk}">{self.reason}</label>\n'
            f'      <input name="reason" id="reason-{pk}" placeholder="{self.reason}" '
            f'value="{reason}">\n'
            f'      <button type="submit">{self.change_grade}</button>\n'
            f'      <button type="submit" formaction="{self.potential_url}">'
            f"{self.set_potential}</button>\n"
            f"      {message}\n"
            f"    </form></td>"
        )


def people_rows(
    request: Any,
    session: CalibrationSession,
    rows: Sequence[tuple[SessionRow, list[RaterNote]]],
    *,
    may_adjust: bool,
    codes: Sequence[str],
    potentials: Sequence[tuple[str, Any]],
    change_error: Mapping[str, Any] | None,
) -> SafeString:
    """The ``<tr>`` of each person (or the "Nobody here." row), ready for the table body."""
    if not rows:
        return mark_safe(  # noqa: S308 - a translated constant, escaped
            f'<tr><td colspan="8" class="muted">{_text(_("Nobody here."))}</td></tr>'
        )
    form = _Form(request, session, codes, potentials) if may_adjust else None
    # ``get_potential_display`` rebuilds the choices on every call; the labels once.
    potential_labels = {value: str(label) for value, label in Potential.choices}
    error_pk = change_error.get("result_id") if change_error else None
    # Each cell names its column, so that on a phone a row reads as a card of labelled
    # values (app.css) instead of a table scrolled sideways.
    label = {
        key: _text(text)
        for key, text in (
            ("department", _("Department")),
            ("computed", _("Computed")),
            ("grade", _("Final grade")),
            ("potential", _("Potential")),
            ("flags", _("Rater flags")),
            ("changes", pgettext("number of adjustments", "Changes")),
        )
    }
    out = []
    for r, notes in rows:
        error = change_error if change_error and error_pk == r.pk else None
        employee, department = r.employee, r.department
        flags = (
            "".join(f'<span class="rater-flag badge">{_text(n.text)}</span> ' for n in notes)
            if notes
            else f'<span class="muted">{DASH}</span>'
        )
        warn = " warn" if r.grade != r.computed_grade else ""
        score = _text(explain.number(r.computed_score)) if r.computed_score is not None else DASH
        out.append(
            f'<tr id="result-{r.pk}"{HAS_ERROR if error else ""}>\n'
            f'    <td class="person"><strong>{_text(employee.name)}</strong> <span class="muted">'
            f"{_text(employee.employee_number)}</span></td>\n"
            f'    <td data-label="{label["department"]}">'
            f"{_or_dash(department.name if department else '')}</td>\n"
            f'    <td data-label="{label["computed"]}">{score} {_or_dash(r.computed_grade)}</td>\n'
            f'    <td data-label="{label["grade"]}">'
            f'<strong class="badge{warn}">{_or_dash(r.grade)}</strong></td>\n'
            f'    <td data-label="{label["potential"]}">'
            f"{_or_dash(potential_labels.get(r.potential, r.potential))}</td>\n"
            f'    <td data-label="{label["flags"]}">{flags}</td>\n'
            f'    <td data-label="{label["changes"]}">{r.changes}</td>\n'
            f"    {form.render(r, error) if form else ''}\n"
            f"  </tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
