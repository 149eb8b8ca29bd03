"""Paging through the API's lists: ``limit`` and ``offset`` in, a ``Link`` header out.

A list endpoint takes ``PageDep``, asks its store for ``page.fetch_limit`` rows
from ``page.offset`` (one more than the page, so it knows whether another page
follows without counting), and answers ``page_of(rows, page, request, response)``.
The body stays a plain JSON list, as clients have always read it; the ``Link``
header (RFC 8288) gives the ``next``, ``prev`` and ``first`` pages with the
request's own filters. There is no total: counting every match of a filter on
each page would cost more than the page itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response

LINK_HEADER = "Link"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Deeper than this, narrow the filters instead: an offset makes the database skip rows.
MAX_OFFSET = 100_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    offset: int

    @property
    def fetch_limit(self) -> int:
        """Rows to ask the store for: the page and one more, to learn whether more follow."""
        return self.limit + 1


async def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1-{MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_OFFSET,
            description="Skip this many items; the Link header has the next page",
        ),
    ] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(page_request)]


def page_of(rows: Sequence[T], page: PageRequest, request: Request, response: Response) -> list[T]:
    """The page's items of ``rows`` (fetched with ``page.fetch_limit``); sets ``Link``."""
    more = len(rows) > page.limit
    links = []
    if more:
        links.append((page.offset + page.limit, "next"))
    if page.offset > 0:
        links.append((max(page.offset - page.limit, 0), "prev"))
        links.append((0, "first"))
    if links:
        response.headers[LINK_HEADER] = ", ".join(
            f'<{_page_url(request, page.limit, offset)}>; rel="{rel}"' for offset, rel in links
        )
    return list(rows[: page.limit])


def slice_page(
    items: Sequence[T], page: PageRequest, request: Request, response: Response
) -> list[T]:
    """For a list already whole in memory (the plant file's machines): the same page."""
    return page_of(items[page.offset : page.offset + page.fetch_limit], page, request, response)


def _page_url(request: Request, limit: int, offset: int) -> str:
    """This request's path and filters, at another offset; relative, as the client asked."""
    query = request.url.include_query_params(limit=limit, offset=offset).query
    return f"{request.url.path}?{query}"
