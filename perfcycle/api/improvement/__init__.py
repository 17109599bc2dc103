"""The improvement stage over the API: improvement plans (绩效改进计划)."""

from ninja import Router

from perfcycle.api.improvement import plans

router = Router(tags=["improvement"])
router.add_router("", plans.router)
