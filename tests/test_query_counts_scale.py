"""Every list and team page issues the same number of queries (± 2) for a manager whose
team (direct and indirect reports) is 10 people as for 1,000.

The world (tests/scale_world.py) is one cycle with every stage's rows per person, built
set-based. Each page is rendered as HR and as the manager at 10 people, the team grows to
1,000, and the page is rendered again. ``PAGES`` names every page taken as a list or team
page and why; ``NOT_LISTS`` names every other URL, so a new page must be classified
(``test_every_url_is_classified``).
"""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from tests.scale_world import World, build_world, grow

SMALL, LARGE = 10, 1000
SLACK = 2
VIEWERS = ("hr_person", "manager")

Url = Callable[[World], str]


def _c(w: World) -> int:
    return w.cycle.pk


# (URL name, how to build its address, why it is a list or team page). The API lists
# ask for the largest page so that a per-row query would show at once.
PAGES: list[tuple[str, Url, str]] = [
    ("home", lambda w: "/", "dashboards: the team's to-dos and cycle progress"),
    ("org:chart", lambda w: "/org/", "the department tree"),
    ("org:department", lambda w: f"/org/departments/{w.company.sales.pk}/", "its members"),
    ("org:employees", lambda w: "/org/people/", "everyone the viewer may see"),
    ("org:employee", lambda w: f"/org/people/{w.company.manager.pk}/", "the direct reports"),
    ("cycles:list", lambda w: "/cycles/", "cycles with participant counts"),
    ("cycles:detail", lambda w: f"/cycles/{_c(w)}/", "phase, deadlines, participant counts"),
    ("cycles:participants", lambda w: f"/cycles/{_c(w)}/participants/", "every participant"),
    ("planning:home", lambda w: "/plan/", "the viewer's and the team's sheets"),
    ("planning:team", lambda w: "/plan/team/", "team goal sheets"),
    ("planning:alignment", lambda w: "/plan/alignment/", "goals cascaded through the team"),
    ("planning:indicators", lambda w: "/plan/indicators/", "the indicator library"),
    ("monitoring:home", lambda w: "/monitor/", "the team's pace"),
    ("monitoring:team", lambda w: "/monitor/team/", "team pace and heatmap"),
    ("monitoring:checkins", lambda w: "/monitor/checkins/", "the team's check-ins"),
    ("monitoring:observations", lambda w: "/monitor/observations/", "the team's observations"),
    ("monitoring:feedback", lambda w: "/monitor/feedback/", "feedback and the praise wall"),
    ("monitoring:training", lambda w: "/monitor/training/", "the team's training"),
    ("monitoring:competencies", lambda w: "/monitor/observations/competencies/", "library"),
    ("monitoring:courses", lambda w: "/monitor/training/courses/", "the course library"),
    ("evaluation:home", lambda w: "/evaluate/", "the viewer's forms and team progress"),
    ("evaluation:my_reviews", lambda w: "/evaluate/reviews/", "forms the viewer fills in"),
    (
        "evaluation:assignment",
        lambda w: f"/evaluate/cycles/{_c(w)}/assignment/",
        "the reviewer table",
    ),
    ("evaluation:peers", lambda w: f"/evaluate/cycles/{_c(w)}/peers/", "peer nominations"),
    ("evaluation:progress", lambda w: f"/evaluate/cycles/{_c(w)}/progress/", "form progress"),
    ("evaluation:scores", lambda w: f"/evaluate/cycles/{_c(w)}/scores/", "everyone's scores"),
    (
        "evaluation:reliability",
        lambda w: f"/evaluate/cycles/{_c(w)}/reliability/",
        "rater statistics over all ratings",
    ),
    ("calibration:home", lambda w: "/calibrate/", "results and sessions of the cycle"),
    (
        "calibration:distribution",
        lambda w: f"/calibrate/cycles/{_c(w)}/distribution/",
        "grade distribution of all results",
    ),
    ("calibration:sessions", lambda w: f"/calibrate/cycles/{_c(w)}/sessions/", "sessions"),
    ("calibration:session", lambda w: f"/calibrate/sessions/{w.session.pk}/", "its members"),
    (
        "calibration:session_ninebox",
        lambda w: f"/calibrate/sessions/{w.session.pk}/ninebox/",
        "the 9-box of its members",
    ),
    ("calibration:release", lambda w: f"/calibrate/cycles/{_c(w)}/release/", "who is released"),
    ("calibration:appeals", lambda w: "/calibrate/appeals/", "the appeals list"),
    ("rewards:home", lambda w: "/reward/", "plans and the viewer's team"),
    ("rewards:plans", lambda w: "/reward/plans/", "bonus plans"),
    ("rewards:plan", lambda w: f"/reward/plans/{w.plan.pk}/", "the plan's lines"),
    ("rewards:pay", lambda w: "/reward/pay/", "pay on record"),
    ("rewards:motivation", lambda w: "/reward/motivation/", "the team's motivators"),
    ("rewards:motivation_departments", lambda w: "/reward/motivation/departments/", "totals"),
    ("proposals:rounds", lambda w: "/reward/proposals/", "proposal rounds"),
    ("proposals:round", lambda w: f"/reward/proposals/rounds/{w.round.pk}/", "its proposals"),
    ("improvement:home", lambda w: "/improve/", "improvement plans"),
    ("retrospective:home", lambda w: "/improve/loop/", "retrospectives per cycle"),
    (
        "retrospective:results",
        lambda w: f"/improve/loop/cycles/{_c(w)}/results/",
        "aggregates over all answers",
    ),
    (
        "retrospective:targets",
        lambda w: f"/improve/loop/cycles/{_c(w)}/targets/",
        "target analysis over all goals",
    ),
    ("insights:home", lambda w: "/improve/insights/", "trends of the team"),
    (
        "insights:department",
        lambda w: f"/improve/insights/departments/{w.company.sales.pk}/",
        "a department's trend",
    ),
    ("insights:health", lambda w: "/improve/insights/health/", "process health of the cycle"),
    ("audit:list", lambda w: "/admin/audit/", "audit events"),
    ("notifications:inbox", lambda w: "/notifications/", "the viewer's notifications"),
    # API lists.
    ("api:list_departments", lambda w: "/api/v1/departments", "departments"),
    ("api:list_employees", lambda w: "/api/v1/employees", "employees"),
    ("api:list_cycles", lambda w: "/api/v1/cycles", "cycles"),
    ("api:list_participants", lambda w: f"/api/v1/cycles/{_c(w)}/participants", "people"),
    ("api:list_goals", lambda w: f"/api/v1/goals?cycle_id={_c(w)}", "goals"),
    ("api:list_sheets", lambda w: f"/api/v1/cycles/{_c(w)}/sheets", "goal sheets"),
    ("api:list_checkins", lambda w: "/api/v1/checkins", "check-ins"),
    ("api:list_action_items", lambda w: "/api/v1/action-items", "action items"),
    ("api:list_observations", lambda w: "/api/v1/observations", "observations"),
    ("api:list_feedback", lambda w: "/api/v1/feedback", "feedback"),
    ("api:praise_wall", lambda w: "/api/v1/feedback/wall", "public praise"),
    ("api:list_training", lambda w: "/api/v1/training", "training assignments"),
    ("api:team_pace", lambda w: f"/api/v1/cycles/{_c(w)}/pace", "the team's pace"),
    ("api:list_review_forms", lambda w: f"/api/v1/cycles/{_c(w)}/review-forms", "forms"),
    ("api:list_reviews", lambda w: "/api/v1/reviews", "the viewer's forms"),
    ("api:review_progress", lambda w: f"/api/v1/cycles/{_c(w)}/review-progress", "progress"),
    ("api:list_scores", lambda w: f"/api/v1/cycles/{_c(w)}/scores", "computed scores"),
    ("api:stored_results", lambda w: f"/api/v1/cycles/{_c(w)}/score-results", "stored"),
    ("api:get_distribution", lambda w: f"/api/v1/cycles/{_c(w)}/distribution", "grades"),
    (
        "api:list_sessions",
        lambda w: f"/api/v1/cycles/{_c(w)}/calibration-sessions",
        "calibration sessions",
    ),
    ("api:get_session", lambda w: f"/api/v1/calibration-sessions/{w.session.pk}", "members"),
    ("api:get_ninebox", lambda w: f"/api/v1/calibration-sessions/{w.session.pk}/ninebox", "9"),
    ("api:list_results", lambda w: "/api/v1/results", "released results"),
    ("api:list_appeals", lambda w: "/api/v1/appeals", "appeals"),
    ("api:list_plans", lambda w: f"/api/v1/cycles/{_c(w)}/bonus-plans", "bonus plans"),
    ("api:list_lines", lambda w: f"/api/v1/bonus-plans/{w.plan.pk}/lines", "bonus lines"),
    ("api:list_compensation", lambda w: "/api/v1/compensation", "pay on record"),
    ("api:team_motivation", lambda w: "/api/v1/motivation/team", "the team's motivators"),
    ("api:list_rounds", lambda w: "/api/v1/proposal-rounds", "proposal rounds"),
    ("api:eligible", lambda w: f"/api/v1/proposal-rounds/{w.round.pk}/eligible", "eligible"),
    (
        "api:list_proposals",
        lambda w: f"/api/v1/proposal-rounds/{w.round.pk}/proposals",
        "proposals",
    ),
    ("api:list_plans", lambda w: "/api/v1/improvement-plans", "improvement plans"),
    ("api:results", lambda w: f"/api/v1/cycles/{_c(w)}/retrospective/results", "aggregates"),
    ("api:target_analysis", lambda w: f"/api/v1/cycles/{_c(w)}/target-analysis", "goals"),
    (
        "api:list_proposals",
        lambda w: f"/api/v1/cycles/{_c(w)}/target-proposals",
        "target proposals",
    ),
    ("api:cycle_health", lambda w: f"/api/v1/cycles/{_c(w)}/process-health", "health"),
    ("api:health_over_time", lambda w: "/api/v1/insights/process-health", "health trend"),
    (
        "api:department_trend",
        lambda w: f"/api/v1/insights/departments/{w.company.sales.pk}/trend",
        "a department's trend",
    ),
    ("api:list_notifications", lambda w: "/api/v1/notifications", "notifications"),
]


def _names(text: str) -> set[str]:
    return set(text.split())


# Every other named URL: one object, a form, an action (POST), a file, or a library too
# small to grow with a team (templates, grade scales). Classified by hand.
NOT_LISTS = _names(
    # one object or one person
    "org:employee_edit org:department_edit cycles:edit planning:person planning:goal "
    "planning:goal_edit planning:indicator_edit monitoring:person monitoring:goal "
    "monitoring:checkin monitoring:observation monitoring:feedback_person "
    "monitoring:competency_edit monitoring:course_edit evaluation:form evaluation:peer_summary "
    "evaluation:template evaluation:template_anchors evaluation:template_question "
    "evaluation:grade_scale evaluation:breakdown evaluation:normalisation calibration:my_result "
    "calibration:talk calibration:settings calibration:report calibration:appeal "
    "proposals:proposal proposals:round_edit rewards:plan_edit rewards:pay_edit "
    "retrospective:answer retrospective:open insights:person improvement:plan "
    "improvement:plan_edit improvement:settings accounts:preferences accounts:password "
    "accounts:tokens privacy:mine privacy:mine_download privacy:export privacy:erase "
    "api:personal_data api:erase api:latest_score_run "
    "api:get_department api:get_employee api:get_cycle api:get_grade_scale "
    "api:get_review_template api:get_indicator api:get_goal api:get_sheet api:get_checkin "
    "api:get_observation api:list_actuals api:list_comments api:observation_courses "
    "api:review_observations api:get_template api:get_review api:get_evidence "
    "api:get_peer_summary api:get_breakdown api:get_settings api:get_result api:get_appeal "
    "api:get_plan api:get_compensation api:my_motivation api:employee_motivation "
    "api:get_round api:get_proposal api:get_trigger api:get_retro api:person_trend "
    "api:my_bonus_lines api:get_normalisation api:preview_goal api:cycle_reliability "
    "api:department_motivation api:preview "
    # forms and actions
    "login logout language accounts:token_revoke org:department_create org:employee_create "
    "org:employee_login org:import org:import_preview cycles:create cycles:transition "
    "planning:sheet_step planning:goal_create planning:goal_delete planning:goal_done "
    "planning:milestone_add planning:key_result_add planning:comment_add "
    "planning:milestone_done planning:indicator_create planning:indicator_assign "
    "planning:import planning:import_preview monitoring:actual_enter monitoring:import "
    "monitoring:import_preview monitoring:checkin_schedule monitoring:checkin_request "
    "improvement:plan_new "
    "monitoring:checkin_agenda monitoring:checkin_notes monitoring:checkin_goal "
    "monitoring:checkin_item monitoring:checkin_confirm monitoring:checkin_held "
    "monitoring:checkin_cancel monitoring:item_done monitoring:observation_create "
    "monitoring:observation_share monitoring:training_recommend monitoring:training_status "
    "monitoring:course_create evaluation:form_save evaluation:form_submit "
    "evaluation:template_competency_add evaluation:template_weights "
    "evaluation:template_competency_remove evaluation:template_question_add "
    "evaluation:template_question_remove evaluation:assignment_add "
    "evaluation:assignment_remove evaluation:peers_approve evaluation:peers_decline "
    "evaluation:scores_store evaluation:score_override calibration:acknowledge "
    "calibration:results_prepare calibration:session_adjust calibration:session_potential "
    "calibration:session_lock calibration:session_unlock calibration:session_sign_off "
    "calibration:appeal_file calibration:appeal_route calibration:appeal_decide "
    "proposals:nominate proposals:proposal_action rewards:plan_compute rewards:plan_approve "
    "rewards:line_adjust rewards:pay_import rewards:pay_import_preview retrospective:generate "
    "retrospective:decide retrospective:rollover retrospective:close improvement:propose "
    "improvement:plan_action notifications:read notifications:open notifications:read_all "
    "notifications:remind_reviewers "
    # files
    "calibration:export calibration:report_pdf calibration:appeal_attachment "
    "rewards:plan_export api:results_xlsx api:report_pdf api:export_plan "
    # small libraries, set up by HR, not per person
    "evaluation:templates evaluation:grade_scales api:list_grade_scales "
    "api:list_review_templates api:list_indicators api:list_competencies api:list_courses "
    "api:list_templates api:openapi-json api:api-root api:None"
    # (API writes are recognised from their names, below)
)
# API names that only write (POST/PUT/PATCH/DELETE or an action) start with a verb.

WRITE_PREFIXES = (
    "create_",
    "update_",
    "delete_",
    "import_",
    "transition_",
    "set_",
    "assign_",
    "mark_",
    "add_",
    "propose",
    "approve",
    "return_",
    "acknowledge",
    "schedule_",
    "request_",
    "confirm_",
    "hold_",
    "cancel_",
    "record_",
    "push_",
    "give_",
    "recommend_",
    "remove_",
    "generate",
    "nominate",
    "decline",
    "save_",
    "submit_",
    "review_reminders",
    "put_",
    "store_",
    "clear_",
    "prepare_",
    "adjust_",
    "lock_",
    "unlock_",
    "sign_off_",
    "release_",
    "file_",
    "route_",
    "decide_",
    "compute_",
    "patch_",
    "step",
    "activate",
    "log_",
    "close",
    "carry",
    "open_",
    "answer",
    "reject",
    "roll_over",
    "read_",
    "scoring_preview",
)


def url_names() -> set[str]:
    """Every named URL in the resolver, with its namespace."""
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                walk(entry, f"{namespace}:{inner}".strip(":") if inner else namespace)
            elif isinstance(entry, URLPattern):
                prefix = f"{namespace}:" if namespace else ""
                names.add(f"{prefix}{entry.name}")

    walk(get_resolver(), "")
    return names


def test_every_url_is_classified():
    """A new page must be declared a list page (and measured) or declared not one."""
    listed = {name for name, _, _ in PAGES}
    unclassified = sorted(
        name
        for name in url_names() - listed - NOT_LISTS
        if not (name.startswith("api:") and name[4:].startswith(WRITE_PREFIXES))
    )
    assert not unclassified, f"classify these URLs in PAGES or NOT_LISTS: {unclassified}"
    stale = sorted((listed | NOT_LISTS) - url_names())
    assert not stale, f"these names are no longer in the resolver: {stale}"


CASES = [(viewer, index) for index in range(len(PAGES)) for viewer in VIEWERS]


def _count(client: Client, url: str) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    size = len(response.content) if not response.streaming else 0
    return response.status_code, len(queries), size


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker) -> dict[tuple[str, int], tuple[int, ...]]:
    """Build the world once, measure every case at both sizes, and roll it all back."""
    from django.db import transaction

    from conftest import client_for
    from tests.scale_world import make_company

    measured: dict[tuple[str, int], list[int]] = {}
    # The alignment tree lists the personal goals one by one up to a limit (then counts
    # them under their parents), and forms list the people to choose up to a limit (then
    # take employee numbers): measured here listing all of the large team.
    tree = mock.patch("perfcycle.planning.selectors.ALIGNMENT_LISTED", 10**6)
    choices = mock.patch("perfcycle.org.fields.LISTED", 10**6)
    with tree, choices, django_db_blocker.unblock(), transaction.atomic():
        company = make_company()
        world = build_world(company)
        clients = {viewer: client_for(company.user(viewer)) for viewer in VIEWERS}
        for size in (SMALL, LARGE):
            grow(world, size)
            for viewer, index in CASES:
                url = PAGES[index][1](world)
                client = clients[viewer]
                # Warm up at each size: the session's first read, caches such as the
                # goal points that scoring keeps (the first view after new goals works
                # them out with a fixed number of extra queries).
                client.get(url)
                status, number, nbytes = _count(client, url)
                measured.setdefault((viewer, index), []).extend([status, number, nbytes])
        transaction.set_rollback(True)
    return {key: tuple(value) for key, value in measured.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("viewer", "index"), CASES, ids=[f"{v}-{PAGES[i][0]}-{i}" for v, i in CASES]
)
def test_page_queries_do_not_grow_with_the_team(counts, viewer, index):
    status, small, _, status_large, large, _ = counts[(viewer, index)]
    assert status == status_large, f"{PAGES[index][0]} answered {status}, then {status_large}"
    assert status in (200, 403, 404), f"{PAGES[index][0]} answered {status}"
    assert abs(large - small) <= SLACK, f"{small} queries at {SMALL}, {large} at {LARGE}"


@pytest.mark.django_db
def test_report(counts, capsys):
    """Prints the table of counts (``-s`` shows it); fails if a page errors."""
    lines = [f"{'page':<34} {'viewer':<10} {'status':>6} {SMALL:>6} {LARGE:>6}  bytes"]
    for (viewer, index), (status, small, b1, _, large, b2) in sorted(
        counts.items(), key=lambda i: i[0][1]
    ):
        lines.append(
            f"{PAGES[index][0]:<34} {viewer:<10} {status:>6} {small:>6} {large:>6}  {b1}->{b2}"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert all(value[0] < 500 for value in counts.values())


# Pages whose answer must really list the grown team (it grows by 2 kB or more for at
# least one viewer): the counts above are taken on pages that show 1,000 rows, or a page
# of them, not on empty ones.
SHOWS_THE_TEAM = _names(
    "home org:department org:employee org:employees cycles:participants planning:team "
    "planning:alignment monitoring:team monitoring:checkins monitoring:observations "
    "monitoring:feedback monitoring:training evaluation:my_reviews evaluation:assignment "
    "evaluation:scores evaluation:reliability calibration:home calibration:sessions "
    "calibration:session calibration:session_ninebox rewards:plan rewards:pay proposals:round "
    "improvement:home retrospective:results insights:home audit:list notifications:inbox "
    "api:list_employees api:list_participants api:list_goals api:list_sheets api:list_checkins "
    "api:list_action_items api:list_observations api:list_feedback api:praise_wall "
    "api:list_training api:team_pace api:list_review_forms api:list_reviews api:list_scores "
    "api:stored_results api:get_session api:get_ninebox api:list_results api:list_lines "
    "api:list_compensation api:team_motivation api:eligible api:list_proposals api:list_plans "
    "api:results api:list_notifications"
)


@pytest.mark.django_db
def test_the_large_team_shows_up_on_the_pages(counts):
    grown = {
        PAGES[index][0]
        for (_, index), (status, _, small, _, _, large) in counts.items()
        if status == 200 and large - small >= 2000
    }
    assert {name for name, _, _ in PAGES} >= SHOWS_THE_TEAM
    assert not SHOWS_THE_TEAM - grown, f"these pages do not list the team: {SHOWS_THE_TEAM - grown}"
