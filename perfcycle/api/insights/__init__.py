"""Trends across cycles and process health over the API."""

from ninja import Router

from perfcycle.api.insights import routes

router = Router(tags=["insights"])
router.add_router("", routes.router)
