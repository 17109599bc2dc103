"""What the export holds: its sections in order, with a title and a line saying what
each holds, and ``COVERAGE``: for every foreign key to an employee or a login, the
section that holds its rows or why none does (a test keeps it complete)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Why a reference to a person is not a section of its own.
ACTED = "acted"  # they did something to someone else's record: see the audit section
BOOKKEEPING = "bookkeeping"  # technical rows with nothing about the person

# (model label, field) -> the section that holds its rows, or why none does.
COVERAGE: dict[tuple[str, str], str] = {
    ("accounts.ApiToken", "user"): "api_tokens",
    ("audit.AuditEvent", "actor"): "audit_events",
    ("org.Department", "head"): "roles",
    ("org.Employee", "manager"): "person",
    ("org.Employee", "user"): "account",
    ("imports.ImportFile", "uploaded_by"): "imports_uploaded",
    ("cycles.CycleParticipant", "employee"): "cycle_participations",
    ("cycles.CycleParticipant", "manager"): ACTED,
    ("planning.GoalSheet", "employee"): "goal_sheets",
    ("planning.GoalSheet", "proposed_by"): ACTED,
    ("planning.GoalSheet", "approved_by"): ACTED,
    ("planning.Acknowledgement", "acknowledged_by"): "goal_acknowledgements",
    ("planning.Goal", "employee"): "goals",
    ("planning.Goal", "created_by"): ACTED,
    ("planning.Milestone", "owner"): "milestones",
    ("planning.GoalComment", "author"): "goal_comments",
    ("monitoring.Actual", "entered_by"): ACTED,
    ("monitoring.ActualBatch", "user"): BOOKKEEPING,
    ("monitoring.CheckIn", "employee"): "check_ins",
    ("monitoring.CheckIn", "manager"): ACTED,
    ("monitoring.CheckIn", "requested_by"): ACTED,
    ("monitoring.AgendaItem", "author"): "check_in_agenda",
    ("monitoring.ActionItem", "employee"): "action_items",
    ("monitoring.ActionItem", "owner"): "action_items",
    ("monitoring.Observation", "employee"): "observations_about",
    ("monitoring.Observation", "author"): "observations_written",
    ("monitoring.Feedback", "giver"): "feedback_given",
    ("monitoring.Feedback", "receiver"): "feedback_received",
    ("monitoring.TrainingAssignment", "employee"): "training",
    ("monitoring.TrainingAssignment", "recommended_by"): ACTED,
    ("evaluation.ReviewForm", "reviewee"): "reviews_about",
    ("evaluation.ReviewForm", "reviewer"): "reviews_written",
    ("evaluation.ReviewForm", "nominated_by"): ACTED,
    ("evaluation.GoalScoreOverride", "by"): ACTED,
    ("evaluation.ScoreResult", "employee"): "scores",
    ("evaluation.ScoreResult", "computed_by"): ACTED,
    ("evaluation.ScoreRun", "requested_by"): ACTED,
    ("calibration.Result", "employee"): "results",
    ("calibration.Result", "released_by"): ACTED,
    ("calibration.CalibrationSession", "signed_off_by"): ACTED,
    ("calibration.CalibrationSession", "created_by"): ACTED,
    ("calibration.CalibrationSession", "calibrators"): "roles",
    ("calibration.Adjustment", "by"): ACTED,
    ("calibration.FeedbackTalk", "manager"): ACTED,
    ("calibration.FeedbackTalk", "recorded_by"): ACTED,
    ("calibration.Appeal", "skip_level"): "roles",
    ("calibration.Appeal", "decided_by"): ACTED,
    ("calibration.Appeal", "committee"): "roles",
    ("rewards.Compensation", "employee"): "compensation",
    ("rewards.BonusPlan", "approved_by"): ACTED,
    ("rewards.BonusPlan", "created_by"): ACTED,
    ("rewards.BonusLine", "employee"): "bonus_lines",
    ("rewards.BonusLine", "adjusted_by"): ACTED,
    ("rewards.MotivationProfile", "employee"): "motivation",
    ("proposals.ProposalRound", "created_by"): ACTED,
    ("proposals.Proposal", "employee"): "proposals",
    ("proposals.Proposal", "nominated_by"): ACTED,
    ("proposals.Proposal", "endorsed_by"): ACTED,
    ("proposals.Proposal", "decided_by"): ACTED,
    ("improvement.ImprovementPlan", "employee"): "improvement_plans",
    ("improvement.ImprovementPlan", "manager"): ACTED,
    ("improvement.ImprovementPlan", "created_by"): ACTED,
    ("improvement.PlanReview", "by"): ACTED,
    ("retrospective.RetroSettings", "opened_by"): ACTED,
    ("retrospective.RetroResponse", "employee"): "retrospective_answers",
    ("retrospective.TargetProposal", "decided_by"): ACTED,
    ("retrospective.RollOver", "created_by"): ACTED,
    ("notifications.Notification", "user"): "notifications",
}


@dataclass(frozen=True)
class SectionInfo:
    key: str
    title: Promise
    description: Promise


SECTIONS: tuple[SectionInfo, ...] = tuple(
    SectionInfo(key, title, description)
    for key, title, description in (
        ("person", _("Employee record"), _("Name, contact, job, department and manager.")),
        ("account", _("Login"), _("The login's name, email and settings; never the password.")),
        ("api_tokens", _("API tokens"), _("Tokens made for integrations; never the token.")),
        ("roles", _("Roles"), _("Departments headed, calibration sessions, appeals reviewed.")),
        (
            "cycle_participations",
            _("Cycles"),
            _("Each cycle taken part in, with the department and manager at the time."),
        ),
        ("goal_sheets", _("Goal sheets"), _("The agreement of each cycle's goals.")),
        (
            "goal_acknowledgements",
            _("Goal acknowledgements"),
            _("Each acknowledgement with exactly the goals acknowledged."),
        ),
        ("goals", _("Goals"), _("Personal goals with their standards and values.")),
        ("key_results", _("Key results"), _("Key results of the goals.")),
        ("milestones", _("Milestones"), _("Steps of the goals' action plans, and steps owned.")),
        ("goal_comments", _("Goal comments"), _("Comments on the goals, and comments written.")),
        ("actuals", _("Actuals"), _("Every value entered for the goals, with its history.")),
        ("check_ins", _("Check-ins"), _("Coaching conversations, with their notes.")),
        ("check_in_agenda", _("Check-in agenda"), _("Topics raised for the check-ins.")),
        ("check_in_goal_notes", _("Check-in goal notes"), _("What was said about each goal.")),
        ("action_items", _("Action items"), _("Actions agreed at check-ins.")),
        ("observations_about", _("Observations"), _("Incidents recorded about this person.")),
        (
            "observations_written",
            _("Observations written"),
            _("Incidents this person recorded about others."),
        ),
        ("feedback_received", _("Feedback received"), _("Praise and feedback received.")),
        ("feedback_given", _("Feedback given"), _("Praise and feedback given to others.")),
        ("training", _("Training"), _("Courses recommended, and their progress.")),
        (
            "reviews_about",
            _("Reviews of this person"),
            _(
                "Review forms about this person. Peers and direct reports are not named; "
                "others' forms appear once the cycle's result is released."
            ),
        ),
        ("review_ratings_about", _("Ratings received"), _("The ratings of those forms.")),
        ("review_answers_about", _("Answers received"), _("The open answers of those forms.")),
        ("reviews_written", _("Reviews written"), _("Review forms this person wrote of others.")),
        ("review_ratings_written", _("Ratings given"), _("The ratings of those forms.")),
        ("review_answers_written", _("Answers written"), _("The open answers of those forms.")),
        (
            "score_overrides",
            _("Goal score overrides"),
            _("A manager's score for a goal instead of the rule's (released cycles)."),
        ),
        ("scores", _("Scores"), _("Computed scores with their breakdown (released cycles).")),
        ("results", _("Results"), _("Final results once released to this person.")),
        ("result_adjustments", _("Result changes"), _("Calibration and appeal changes.")),
        ("feedback_talks", _("Feedback talks"), _("The feedback talks as recorded.")),
        ("appeals", _("Appeals"), _("Appeals filed and their decisions.")),
        ("appeal_attachments", _("Appeal attachments"), _("Files attached to the appeals.")),
        ("compensation", _("Pay on record"), _("Base pay and target bonus.")),
        ("bonus_lines", _("Bonus"), _("Bonus in approved plans, with every factor.")),
        ("motivation", _("Motivation"), _("What motivates this person, in their order.")),
        (
            "proposals",
            _("Salary and promotion"),
            _("Salary-review and promotion proposals once decided."),
        ),
        ("improvement_plans", _("Improvement plans"), _("Improvement plans once activated.")),
        ("improvement_plan_goals", _("Plan goals"), _("What the plans asked to improve.")),
        ("improvement_plan_support", _("Plan support"), _("The support the company gave.")),
        ("improvement_plan_training", _("Plan training"), _("Training given as part of plans.")),
        ("improvement_plan_reviews", _("Plan reviews"), _("Reviews of the plans.")),
        ("retrospective_answers", _("Retrospective"), _("Answers to cycle retrospectives.")),
        ("retrospective_verdicts", _("Target verdicts"), _("Opinions on the goals' targets.")),
        ("notifications", _("Notifications"), _("Messages sent in the application.")),
        (
            "audit_events",
            _("Audit trail"),
            _(
                "Changes to the employee record and login, and what this person did "
                "(for others' records only the fields changed, not their values)."
            ),
        ),
        ("imports_uploaded", _("Files imported"), _("Spreadsheets this person imported.")),
    )
)
