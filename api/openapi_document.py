"""The OpenAPI document as the API really answers: every error is a problem+json.

FastAPI documents the errors routers declare as plain JSON with the router's
own models, and validation failures as its ``HTTPValidationError``. The
handlers in ``api/problem_details.py`` answer all of them as RFC 9457 problems,
so this rewrites each 4xx/5xx response to ``application/problem+json`` and
adds the ones every operation can give: 401 where a sign-in is needed, 404
where a path names something, 413 where a body is sent, and 500. A 5xx a
router documents with a model of its own (the health check's 503) stays as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.problem_details import PROBLEM_JSON, Problem, RefusalProblem, ValidationProblem

_REF_ROOT = "#/components/schemas/"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_ADDED: dict[str, str] = {
    "401": "Not signed in, or the credential has expired",
    "404": "Not found, or another customer's (the two are not told apart)",
    "413": "The request body is too large",
    "500": "The server failed; the answer holds no internals",
}

Document = dict[str, Any]


def problem_openapi(app: FastAPI) -> Callable[[], Document]:
    """The ``app.openapi`` replacement: FastAPI's document, errors as problems, cached."""

    def openapi() -> Document:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = with_problems(document)
        return app.openapi_schema

    return openapi


def with_problems(document: Document) -> Document:
    """``document`` with its error responses as problems (see the module doc)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem, RefusalProblem):
        _add_model(schemas, model)
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _HTTP_METHODS:
                _document_errors(operation, schemas)
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    return document


def _document_errors(operation: Document, schemas: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("security"):
        responses.setdefault("401", {"description": _ADDED["401"]})
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        responses.setdefault("404", {"description": _ADDED["404"]})
    if "requestBody" in operation:
        responses.setdefault("413", {"description": _ADDED["413"]})
    responses.setdefault("500", {"description": _ADDED["500"]})
    for code, response in responses.items():
        # A 5xx a router describes itself (health's 503 "down") answers as it says.
        declared_5xx = code[0] == "5" and code != "500" and "content" in response
        if code[0] in "45" and not declared_5xx:
            model = _problem_model(code, response, schemas)
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": _REF_ROOT + model}}}


def _problem_model(code: str, response: Document, schemas: dict[str, Any]) -> str:
    """Which problem a response answers with, from the model the router declared."""
    declared = response.get("content", {}).get("application/json", {}).get("schema", {})
    name = str(declared.get("$ref", "")).removeprefix(_REF_ROOT)
    if code == "422":
        return ValidationProblem.__name__
    if "allowed_next" in schemas.get(name, {}).get("properties", {}):
        return RefusalProblem.__name__
    return Problem.__name__


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=_REF_ROOT + "{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
