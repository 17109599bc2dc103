"""The OpenAPI schema tells the truth: one component per schema name, and the error answers
every operation may give are documented on every operation."""

import json
import typing
from collections import defaultdict

from django.test import Client
from pydantic import BaseModel

from perfcycle.api.errors import COMMON_ERRORS
from perfcycle.api.urls import api

API = "/api/v1"


def _models_in(annotation: object, found: dict[str, set[str]], seen: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        found[annotation.__name__].add(f"{annotation.__module__}.{annotation.__qualname__}")
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found, seen)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found, seen)


def test_each_schema_name_is_one_model() -> None:
    """Ninja files every model under its class name in ``components/schemas``; two models
    with the same name overwrite each other, and the schema then describes the wrong body
    for one of them (``IndicatorOut`` of the indicator library was documented with the
    target analysis' fields, ``TrainingOut`` and ``MotivationOut`` likewise)."""
    found: dict[str, set[str]] = defaultdict(set)
    seen: set[type] = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _models_in(model, found, seen)
    assert len(seen) > 100  # the walk reached the routers' models
    clashes = {name: sorted(where) for name, where in found.items() if len(where) > 1}
    assert clashes == {}


def test_documented_bodies_are_the_models_used() -> None:
    schemas = api.get_openapi_schema()["components"]["schemas"]
    paths = api.get_openapi_schema()["paths"]

    def response_ref(path: str, method: str, status: int) -> str:
        content = paths[f"{API}{path}"][method]["responses"][status]["content"]
        schema = content["application/json"]["schema"]
        return schema.get("items", schema)["$ref"].rsplit("/", 1)[1]

    indicator = schemas[response_ref("/indicators", "post", 201)]
    assert {"id", "code", "name"} <= set(indicator["required"])
    assert "histogram" not in indicator["properties"]
    motivation = schemas[response_ref("/me/motivation", "get", 200)]
    assert "relevant_rank" not in motivation["properties"]


def test_every_operation_documents_the_common_errors(db: None) -> None:
    schema = json.loads(Client().get(f"{API}/openapi.json").content)
    missing = {
        f"{method.upper()} {path}": sorted({str(code) for code in COMMON_ERRORS} - set(answers))
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if not {str(code) for code in COMMON_ERRORS} <= set(answers := operation["responses"])
    }
    assert missing == {}
    listing = schema["paths"][f"{API}/departments"]["get"]["responses"]
    assert listing["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_a_list_still_answers_200_with_the_errors_documented(db: None, company) -> None:
    """Declaring more answers on an operation that returned a bare body must not change the
    status it answers with (ninja picks the status from a lone declared answer)."""
    client = Client()
    client.force_login(company.hr)
    response = client.get(f"{API}/departments")
    assert response.status_code == 200
    assert response.json()["count"] == 3
