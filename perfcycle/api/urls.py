"""The REST API at ``/api/v1/``; OpenAPI 3 schema at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from perfcycle import __version__
from perfcycle.api import errors, inputs
from perfcycle.api.auth import AUTH
from perfcycle.api.calibration import router as calibration_router
from perfcycle.api.coaching import router as coaching_router
from perfcycle.api.cycles import router as cycles_router
from perfcycle.api.evaluation import router as evaluation_router
from perfcycle.api.improvement import router as improvement_router
from perfcycle.api.insights import router as insights_router
from perfcycle.api.monitoring import router as monitoring_router
from perfcycle.api.notifications import router as notifications_router
from perfcycle.api.org import router as org_router
from perfcycle.api.planning import router as planning_router
from perfcycle.api.privacy import router as privacy_router
from perfcycle.api.proposals import router as proposals_router
from perfcycle.api.retrospective import router as retrospective_router
from perfcycle.api.rewards import router as rewards_router


class PerfcycleAPI(NinjaAPI):
    """Ninja, with the error body also for unknown paths and wrong methods under /api/v1/,
    and the common error answers documented on every operation."""

    _common_errors_documented = False

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        return errors.with_error_bodies(self, patterns), app_name, namespace

    def _get_bound_routers(self) -> list[Any]:
        # Ninja binds (copies) each router's operations once, for the URLs and the schema
        # alike; the common error answers are declared on those copies, in this one place.
        bound = super()._get_bound_routers()
        if not self._common_errors_documented:
            errors.document_common_errors(
                operation
                for router in bound
                for path_view in router.path_operations.values()
                for operation in path_view.operations
            )
            self._common_errors_documented = True
        return bound


api = PerfcycleAPI(
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
api.add_decorator(inputs.refuse_unstorable_input)
api.add_router("/", org_router)
api.add_router("/", cycles_router)
api.add_router("/", planning_router)
api.add_router("/", coaching_router)
api.add_router("/", monitoring_router)
api.add_router("/", evaluation_router)
api.add_router("/", calibration_router)
api.add_router("/", rewards_router)
api.add_router("/", proposals_router)
api.add_router("/", improvement_router)
api.add_router("/", retrospective_router)
api.add_router("/", insights_router)
api.add_router("/", notifications_router)
api.add_router("/", privacy_router)
