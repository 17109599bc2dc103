"""Salary review and promotion proposals over the API."""

from ninja import Router

from perfcycle.api.proposals import rounds

router = Router(tags=["proposals"])
router.add_router("", rounds.router)
