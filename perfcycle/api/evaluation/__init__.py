"""The evaluate stage over the API: review templates, reviewer assignment and peer
nomination, review forms, progress and reminders, rater reliability, scores. Thin:
parse, ask the policy, call a service or selector."""

from ninja import Router

from perfcycle.api.evaluation import assignment, forms, progress, reliability, scores, templates

router = Router()
for module in (templates, assignment, forms, progress, reliability, scores):
    router.add_router("", module.router)
