"""The reward stage over the API: bonus plans (HR), their lines (HR and managers),
adjustments within the band, approval and export; motivation profiles. Thin: parse, ask
the policy, call a service or selector."""

from ninja import Router

from perfcycle.api.rewards import compensation, motivation, plans

router = Router()
for module in (plans, compensation, motivation):
    router.add_router("", module.router)
