"""Server-side state of the Responses API, made safe to cache (pure, no I/O).

A response id belongs to the client that created it at the provider. The rules:

1. **Stateful requests are scoped by their state and their credential.** A request with
   ``previous_response_id`` keeps that id in its scope (it is part of the body) and adds the
   hash of the client's own key (``sidecar.request.credential_of``), so two clients sharing
   an ``X-Tenant-Id`` can never reach each other's continuation through the cache.
2. **Cache hits get fresh ids.** A replayed answer never carries the provider's ids: the
   response id and every output item id are re-issued (``resp_sc_…``, ``<prefix>_sc_…``), so a
   client can never name another client's stored response to the provider.
3. **A re-issued id can be continued by its own client.** For ``store`` requests the sidecar
   remembers (bounded LRU) what the client sent and received under that id; a later
   ``previous_response_id`` naming it is expanded into explicit input (the earlier request's
   state, its input items and the answer's output items), which the provider can answer
   statelessly. ``GET`` of a re-issued id returns the replayed body; ``DELETE`` forgets it.
   Another credential, or an id that fell out of the LRU (or lives on another replica), gets
   the API's own 404.
4. **Provider ids are routed home.** Ids of answers that came from upstream are remembered with
   the deployment that produced them and the creator's credential, so ``GET``/``DELETE
   /v1/responses/{id}`` go to that deployment; an unknown id or another credential is a 404.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

REISSUED = "_sc_"  # marker inside ids the sidecar issued: resp_sc_…, msg_sc_…
MAX_IDS = 10_000
MAX_RECORD_BYTES = 256 * 1024  # replayed state kept per id; bigger ones are not continuable
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # all replayed state together; the oldest ids go first


def is_reissued(rid: str) -> bool:
    """Was this id issued by the sidecar for a replayed answer?"""
    return REISSUED in rid


def _new_id(old: str, prefix: str) -> str:
    head = old.split("_", 1)[0] if "_" in old else prefix
    return f"{head}{REISSUED}{uuid.uuid4().hex}"


def reissue(answer: dict[str, Any], *, now: float, overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored response with fresh response and item ids, for one replay."""
    output = []
    for item in answer.get("output") or []:
        if isinstance(item, dict) and "id" in item:
            item = {**item, "id": _new_id(str(item["id"]), "item")}
        output.append(item)
    return {
        **answer,
        **overrides,
        "id": _new_id(str(answer.get("id", "resp")), "resp"),
        "created_at": int(now),
        "output": output,
    }


@dataclass(frozen=True, slots=True)
class Produced:
    """An id that came from upstream: where it lives and who created it."""

    target: Any  # the upstream Target that produced it
    credential: str


@dataclass(frozen=True, slots=True)
class Replayed:
    """An id the sidecar issued for a cache hit: enough to answer GET and to continue it."""

    credential: str
    body: bytes  # the replayed JSON (for GET)
    previous_response_id: str | None  # the state the replayed request itself continued
    items: tuple[dict[str, Any], ...]  # the request's input items + the answer's output items
    size: int = 0


@dataclass
class ResponseIds:
    """Bounded LRU of response ids: provider ids routed home, re-issued ids continuable."""

    max_ids: int = MAX_IDS
    max_bytes: int = MAX_TOTAL_BYTES
    bytes: int = 0  # size of the replayed state held
    _ids: OrderedDict[str, Produced | Replayed] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._ids)

    def remember(self, rid: str, record: Produced | Replayed) -> None:
        """Keep ``rid`` (most recent last); the oldest fall out past ``max_ids``/``max_bytes``."""
        self.forget(rid)
        self._ids[rid] = record
        self.bytes += _size(record)
        while len(self._ids) > self.max_ids or self.bytes > self.max_bytes:
            _, oldest = self._ids.popitem(last=False)
            self.bytes -= _size(oldest)

    def find(self, rid: str, credential: str) -> Produced | Replayed | None:
        """The record for ``rid`` if this credential created it, else None (a 404)."""
        record = self._ids.get(rid)
        if record is None or record.credential != credential:
            return None
        self._ids.move_to_end(rid)
        return record

    def forget(self, rid: str) -> None:
        """Drop ``rid`` (after a DELETE)."""
        if (record := self._ids.pop(rid, None)) is not None:
            self.bytes -= _size(record)


def _size(record: Produced | Replayed) -> int:
    return record.size if isinstance(record, Replayed) else 0


def as_items(value: Any) -> list[dict[str, Any]]:
    """``input`` as a list of items (a string is one user message)."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return [i for i in value or [] if isinstance(i, dict)]


def replay_record(
    body: dict[str, Any], answer: dict[str, Any], replayed: bytes, credential: str
) -> Replayed | None:
    """What to remember about one replayed answer, or None when it must not be continuable."""
    if body.get("store") is False:
        return None  # the provider would not have kept it either
    outputs = [{k: v for k, v in i.items() if k != "id"} for i in answer.get("output") or []]
    items = (*as_items(body.get("input")), *outputs)
    size = len(replayed) + sum(len(str(i)) for i in items)
    if size > MAX_RECORD_BYTES:
        return None
    return Replayed(credential, replayed, body.get("previous_response_id"), items, size)


def expand(body: dict[str, Any], record: Replayed) -> dict[str, Any]:
    """``body`` continuing a re-issued id, rewritten to carry that state explicitly."""
    out = {k: v for k, v in body.items() if k != "previous_response_id"}
    if record.previous_response_id is not None:
        out["previous_response_id"] = record.previous_response_id
    out["input"] = [*record.items, *strip_reissued(as_items(body.get("input")))]
    return out


def strip_reissued(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items without ids the sidecar issued (the provider has never seen them)."""
    return [
        {k: v for k, v in i.items() if k != "id"}
        if isinstance(i, dict) and is_reissued(str(i.get("id", "")))
        else i
        for i in items
    ]
