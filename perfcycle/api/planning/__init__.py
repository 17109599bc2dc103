"""The plan stage over the API: indicators, goals, goal sheets and the agreement steps,
goals import. Thin: parse, ask the policy, call a service or selector."""

from ninja import Router

from perfcycle.api.planning import goals, indicators, sheets

router = Router()
router.add_router("", indicators.router)
router.add_router("", goals.router)
router.add_router("", sheets.router)
