"""RFC 9457 problem details: the one shape of every 4xx and 5xx the API answers.

Routers keep raising ``HTTPException`` with a sentence for people; the handlers
here turn it, a request that fails validation, and any error nobody handled
into ``application/problem+json`` with ``type``, ``title``, ``status`` and
``detail`` (always that sentence). The optional ``instance`` is left out: it
would echo the path asked for, and a 404 for another customer's ticket must
read exactly like one for a ticket that does not exist. A refused move keeps
its state machine's answer as extension members: ``current_status`` (the
ticket's or complaint's status now; ``status`` is the HTTP status here) and
``allowed_next``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
# No more to say than the HTTP status: RFC 9457 section 4.2.1.
BLANK_TYPE = "about:blank"
VALIDATION_TYPE = "urn:linecare:problem:validation"
REFUSED_TYPE = "urn:linecare:problem:refused"
TOO_LARGE_TYPE = "urn:linecare:problem:request-too-large"
SERVER_ERROR_DETAIL = "The server could not answer this request; the error has been logged."
UNSTORABLE_DETAIL = (
    "A value in the request cannot be stored: a number out of range, a date out of range,"
    " or text with a NUL character."
)
# A validation answer names this many fields in its detail sentence; `errors` has them all.
_FIELDS_IN_DETAIL = 5
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
# A refusal's own `status` is the ticket's state, which the HTTP status must not overwrite.
_RENAMED_MEMBERS = {"status": "current_status"}
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})

_log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An error answer (RFC 9457). ``detail`` is one sentence meant for people."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": BLANK_TYPE,
                    "title": "Not Found",
                    "status": 404,
                    "detail": "ticket 42 not found",
                }
            ]
        },
    )

    type: str = Field(
        default=BLANK_TYPE, description="What kind of problem; about:blank: the status says it"
    )
    title: str = Field(description="The HTTP status in words")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, in one sentence for people")


class FieldError(BaseModel):
    """One value the request got wrong."""

    field: str = Field(description="The parameter or body field, dotted for nested ones")
    location: str = Field(description="Where it was sent: body, query, path, header or cookie")
    message: str
    type: str = Field(description="pydantic's error type, e.g. missing or string_too_long")


class ValidationProblem(Problem):
    """422: the request's values are not valid; ``errors`` names each field that failed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": VALIDATION_TYPE,
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "note: String should have at most 4000 characters",
                    "errors": [
                        {
                            "field": "note",
                            "location": "body",
                            "message": "String should have at most 4000 characters",
                            "type": "string_too_long",
                        }
                    ],
                }
            ]
        }
    )

    # Empty when a router refused the values itself (a date range the wrong way round).
    errors: list[FieldError] = Field(default_factory=list)


class RefusalProblem(Problem):
    """409: the state machine refused the move; the status now and the moves open instead."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": REFUSED_TYPE,
                    "title": "Conflict",
                    "status": 409,
                    "detail": "Refused: a ticket that is registered cannot become dispatched.",
                    "current_status": "registered",
                    "allowed_next": ["classified", "archived", "waiting_for_customer"],
                }
            ]
        }
    )

    current_status: str
    allowed_next: list[str]


def problem_response(
    *,
    status: int,
    detail: str,
    type_: str = BLANK_TYPE,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json answer; ``extensions`` are added beside the standard members."""
    body: dict[str, Any] = dict(extensions or {})
    body.update(type=type_, title=_title(status), status=status, detail=detail)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def install_problem_details(app: FastAPI) -> None:
    """Every HTTP error and failed validation answers as a problem (see the module doc)."""
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(psycopg.DataError, _unstorable_problem)


class UnhandledErrorMiddleware:
    """A 500 problem, without internals, for an error nobody handled; the error is logged.

    It sits inside the other middleware, so the answer still gets the security and
    deprecation headers. Once an answer has begun (a stream), the error goes on up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            _log.exception("unhandled error answering %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = problem_response(status=500, detail=SERVER_ERROR_DETAIL)
            await response(scope, receive, send)


async def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail, extensions = _split_detail(exc.detail)
    refused = "allowed_next" in extensions
    return problem_response(
        status=exc.status_code,
        detail=detail or _title(exc.status_code),
        type_=REFUSED_TYPE if refused else BLANK_TYPE,
        headers=exc.headers,
        extensions=extensions,
    )


async def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(error) for error in exc.errors()]
    return problem_response(
        status=422,
        detail=_validation_sentence(errors),
        type_=VALIDATION_TYPE,
        extensions={"errors": [e.model_dump() for e in errors]},
    )


async def _unstorable_problem(request: Request, exc: Exception) -> JSONResponse:
    """422 for a value the schema let through but the database cannot hold (SQLSTATE class
    22, or psycopg's own refusal of a NUL character): the request's fault, not the server's.
    The database's message stays in the log; it may name tables and columns."""
    _log.warning("a value the database refused on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(status=422, detail=UNSTORABLE_DETAIL, type_=VALIDATION_TYPE)


def _split_detail(detail: Any) -> tuple[str, dict[str, Any]]:
    """The sentence, and what else a structured detail (a refusal) carried."""
    if isinstance(detail, str):
        return detail, {}
    if isinstance(detail, Mapping):
        extensions = {
            _RENAMED_MEMBERS.get(str(key), str(key)): value
            for key, value in detail.items()
            if key != "message"
        }
        clashing = _STANDARD_MEMBERS.intersection(extensions)
        for key in clashing:
            extensions[f"refusal_{key}"] = extensions.pop(key)
        return str(detail.get("message", "")), extensions
    return str(detail), {}


def _field_error(error: Mapping[str, Any]) -> FieldError:
    loc: Sequence[Any] = error.get("loc", ())
    location = str(loc[0]) if loc and loc[0] in _REQUEST_PARTS else "body"
    path = [str(part) for part in (loc[1:] if loc and loc[0] in _REQUEST_PARTS else loc)]
    return FieldError(
        field=".".join(path) or location,
        location=location,
        message=str(error.get("msg", "not valid")),
        type=str(error.get("type", "value_error")),
    )


def _validation_sentence(errors: Sequence[FieldError]) -> str:
    if not errors:
        return "The request is not valid."
    named = "; ".join(f"{e.field}: {e.message}" for e in errors[:_FIELDS_IN_DETAIL])
    more = len(errors) - _FIELDS_IN_DETAIL
    return f"{named} (and {more} more)" if more > 0 else named


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
