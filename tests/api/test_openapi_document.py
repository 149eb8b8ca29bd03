"""The OpenAPI document: every operation explained, every error a problem, writes exemplified."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

import api.routers
from api.problem_details import PROBLEM_JSON

pytestmark = pytest.mark.integration

_METHODS = {"get", "put", "post", "delete", "patch"}
# The writes a client of the service workflow makes most; each shows an example body.
MAIN_WRITES = [
    ("post", "/api/v1/tickets"),
    ("post", "/api/v1/tickets/{ticket_id}/transitions"),
    ("post", "/api/v1/tickets/{ticket_id}/change-approval"),
    ("post", "/api/v1/complaints"),
    ("post", "/api/v1/complaints/{complaint_id}/transitions"),
    ("post", "/api/v1/webhooks"),
    ("patch", "/api/v1/webhooks/{webhook_id}"),
    ("post", "/api/v1/knowledge"),
    ("post", "/api/v1/knowledge/{entry_id}/transitions"),
    ("post", "/api/v1/api-keys"),
    ("post", "/api/v1/token"),
    ("post", "/api/v1/tickets/{ticket_id}/dispatch"),
    ("put", "/api/v1/tickets/{ticket_id}/report"),
    ("post", "/api/v1/tickets/{ticket_id}/costs"),
    ("put", "/api/v1/tickets/{ticket_id}/checklist/{occurrence_id}/{position}"),
    ("post", "/api/v1/tickets/{ticket_id}/annotations"),
    ("post", "/api/v1/parts"),
    ("put", "/api/v1/parts/{part_number}"),
    ("post", "/api/v1/ledger"),
    ("post", "/api/v1/requisitions"),
    ("post", "/api/v1/requisitions/{requisition_id}/decision"),
    ("post", "/api/v1/serials/replacements"),
]


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in _METHODS
    ]


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    operations = _operations(document)
    unexplained = [
        (method, path)
        for method, path, operation in operations
        if not operation.get("summary") or not operation.get("description")
    ]

    assert len(operations) > 100
    assert unexplained == []


def test_every_error_is_documented_as_a_problem(document: dict[str, Any]) -> None:
    plain = [
        (method, path, code)
        for method, path, operation in _operations(document)
        for code, response in operation["responses"].items()
        if code.startswith("4") and set(response.get("content", {})) != {PROBLEM_JSON}
    ]
    refusals = document["paths"]["/api/v1/tickets/{ticket_id}/transitions"]["post"]

    assert plain == []
    assert refusals["responses"]["409"]["content"][PROBLEM_JSON]["schema"] == {
        "$ref": "#/components/schemas/RefusalProblem"
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_signed_in_operations_document_401_and_named_ones_404(document: dict[str, Any]) -> None:
    ticket = document["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["responses"]
    health = document["paths"]["/api/v1/health"]["get"]["responses"]

    assert {"401", "404", "422", "500"} <= set(ticket)
    assert "401" not in health
    assert health["503"]["content"]["application/json"]  # "down" is the health answer


def test_the_main_writes_show_an_example_body(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    def examples(method: str, path: str) -> list[Any]:
        content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        name = content["schema"]["$ref"].rsplit("/", 1)[-1]
        return list(content.get("examples", {}).values()) or schemas[name].get("examples", [])

    missing = [(method, path) for method, path in MAIN_WRITES if not examples(method, path)]
    assert missing == []


def test_lists_document_their_paging(document: dict[str, Any]) -> None:
    tickets = document["paths"]["/api/v1/tickets"]["get"]
    names = {p["name"]: p for p in tickets["parameters"]}

    assert names["limit"]["schema"]["maximum"] == 500
    assert names["offset"]["schema"]["minimum"] == 0
    assert "Link" in tickets["description"]


def test_every_example_body_is_one_its_operation_accepts() -> None:
    checked = 0
    for module in pkgutil.iter_modules(api.routers.__path__, "api.routers."):
        for route in getattr(importlib.import_module(module.name), "router", APIRouter()).routes:
            body = getattr(route, "body_field", None)
            model = body.field_info.annotation if body is not None else None
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            for example in model.model_json_schema().get("examples", []):
                model.model_validate(example)  # raises for an example the API would refuse
                checked += 1

    assert checked >= len(MAIN_WRITES)
