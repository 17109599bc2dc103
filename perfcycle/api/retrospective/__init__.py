"""The improve-the-loop stage over the API: the retrospective and target proposals."""

from ninja import Router

from perfcycle.api.retrospective import endpoints, rollover

router = Router(tags=["retrospective"])
router.add_router("", endpoints.router)
router.add_router("", rollover.router)
