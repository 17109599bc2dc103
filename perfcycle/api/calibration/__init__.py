"""The calibrate-and-feed-back stage over the API: the distribution guideline, calibration
sessions, release and exports, results, feedback talks and appeals. Thin: parse, ask the
policy, call a service or selector."""

from ninja import Router

from perfcycle.api.calibration import appeals, distribution, release, results, sessions

router = Router()
for module in (distribution, sessions, release, results, appeals):
    router.add_router("", module.router)
