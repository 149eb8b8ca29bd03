"""CORS whose refused preflight answers as a problem, like every other 4xx of the API.

Starlette's ``CORSMiddleware`` answers a preflight it refuses with a plain-text 400
("Disallowed CORS origin"). The browser only needs the missing
``Access-Control-Allow-Origin`` to block the call, but a person reading the network
tab, or a client of the API's one error format, gets a problem+json sentence instead.
Everything else, including what is allowed, stays Starlette's.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.problem_details import problem_response

_STARLETTE_PREFIX = "Disallowed CORS "
# What Starlette names as refused, as a person would say it.
_REFUSED_PARTS = {
    "origin": "its origin",
    "method": "its method",
    "headers": "a header it wants to send",
    "private-network": "its private-network access",
}


class ProblemCORSMiddleware(CORSMiddleware):
    """``CORSMiddleware`` whose refused preflight is a 400 problem naming what was refused."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        body = bytes(answer.body).decode()
        refused = body.removeprefix(_STARLETTE_PREFIX).split(", ")
        named = " and ".join(_REFUSED_PARTS.get(part, part) for part in refused)
        headers = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("content-type", "content-length")
        }
        return problem_response(
            status=answer.status_code,
            detail=f"This cross-origin request is not allowed: the API does not accept {named}.",
            headers=headers,
        )
