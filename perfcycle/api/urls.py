"""The REST API at ``/api/v1/``; OpenAPI 3 schema at ``/api/v1/openapi.json``."""

from __future__ import annotations

from ninja import NinjaAPI

from perfcycle import __version__
from perfcycle.api import errors
from perfcycle.api.auth import AUTH
from perfcycle.api.org import router as org_router

api = NinjaAPI(
    title="Perfcycle API",
    version="1",
    description=(
        "Performance management: organisation, cycles, goals, actuals, reviews, calibration, "
        "rewards. Authenticate with an API token (`Authorization: Bearer pc_...`) or the "
        'pages\' session. Errors always answer `{"error": {"code", "message", "details"}}`. '
        f"Server version {__version__}."
    ),
    auth=AUTH,
    urls_namespace="api",
    openapi_url="/openapi.json",
    # The interactive docs page would load Swagger UI from a CDN; the schema is enough.
    docs_url=None,
)
errors.install(api)
api.add_router("/", org_router)
