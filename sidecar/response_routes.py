"""``GET``/``DELETE /v1/responses/{id}``, answered from the ids the Responses dialect remembers.

A re-issued id (a cache hit's) is answered here: GET returns the replayed response, DELETE
forgets it. A provider id goes to the deployment that produced it, with the client's headers
(or that deployment's key). An id this replica does not know, or one created with another key,
is the OpenAI-shaped 404 without an upstream call, so no client can probe another's ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import orjson
from aiohttp import web

from sidecar.deps import Deps
from sidecar.dialect import Dialect
from sidecar.dialects.response_state import Produced, ResponseIds
from sidecar.dialects.responses import Responses
from sidecar.errors import NotFound
from sidecar.reply import json_response
from sidecar.request import credential_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, dialects: Sequence[Dialect], deps: Deps) -> None:
    """Serve GET/DELETE by id for each Responses dialect among ``dialects``."""
    for dialect in dialects:
        if isinstance(dialect, Responses):  # the one API here with server-side state
            handler = by_id(dialect.ids, deps)
            app.router.add_get(dialect.path + "/{rid}", handler)
            app.router.add_delete(dialect.path + "/{rid}", handler)


def by_id(ids: ResponseIds, deps: Deps) -> Handler:
    """The GET/DELETE handler over ``ids``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        rid = request.match_info["rid"]
        record = ids.find(rid, credential_of(request.headers))
        if record is None:
            raise NotFound(f"Response with id '{rid}' not found.")
        if not isinstance(record, Produced):  # a re-issued id: the sidecar answers itself
            if request.method == "DELETE":
                ids.forget(rid)
                deleted = {"id": rid, "object": "response", "deleted": True}
                return json_response(orjson.dumps(deleted), 200, {})
            return json_response(record.body, 200, {})
        path = f"/responses/{rid}"
        reply = await deps.upstream.fetch(request.method, path, request.headers, record.target)
        if request.method == "DELETE" and reply.status == 200:
            ids.forget(rid)
        headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-type"}
        return json_response(reply.body or b"", reply.status, headers)

    return handle
