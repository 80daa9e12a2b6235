"""A stream reader over an assembler: relays every event, assembles the answer on the side.

The Responses and Messages streams carry the API's own events; the client gets each one as it
arrives, unchanged. The assembler decides completeness (terminal event, no error), so a broken
stream is never stored.
"""

from __future__ import annotations

from typing import Any, Protocol

from sidecar.sse import event_data


class Assembler(Protocol):
    """What ``ResponseAssembler`` and ``MessageAssembler`` offer."""

    failed: bool

    def add(self, data: bytes) -> dict[str, Any] | None: ...

    @property
    def complete(self) -> bool: ...

    def result(self) -> dict[str, Any]: ...


class EventReader:
    """Feeds each SSE event's data to an assembler; every event is relayed."""

    def __init__(self, assembler: Assembler) -> None:
        self._asm = assembler

    def feed(self, event: bytes) -> bool:
        """Record one whole SSE event; always relayed."""
        if (payload := event_data(event)) is not None:
            self._asm.add(payload)
        return True

    def fail(self) -> None:
        """The stream broke: never complete."""
        self._asm.failed = True

    @property
    def complete(self) -> bool:
        """The assembler saw the terminal event and no error."""
        return self._asm.complete

    def answer(self) -> dict[str, Any]:
        """The assembled answer in the API's non-streamed JSON form."""
        return self._asm.result()
