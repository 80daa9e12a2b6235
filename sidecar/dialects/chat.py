"""OpenAI chat completions (``POST /v1/chat/completions``).

The cache matches the text of the last message when it is a user message in plain text (a
string or only text parts); everything else (system prompt, earlier turns, the last message's
other fields, tools, response_format, sampling) scopes it. A streamed request asks upstream for
usage so spend is accounted; the usage chunk reaches the client only if it asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.dialects.openai import OpenAIDialect, read_head, scoped
from sidecar.errors import BadRequest
from sidecar.request import Endpoint, Fields, ParsedRequest, field


class Chat(OpenAIDialect):
    """``/v1/chat/completions``: JSON or ``chat.completion.chunk`` SSE."""

    endpoint = Endpoint.CHAT
    path = "/v1/chat/completions"
    upstream_path = "/chat/completions"

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate the shared fields and messages; the last user text is matched."""
        head = read_head(body)
        messages = field(body, "messages", list, required=True)
        if not messages:
            raise BadRequest("'messages' must be a non-empty list", param="messages")
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
                raise BadRequest(
                    f"messages[{i}] must be an object with a string 'role'", param=f"messages[{i}]"
                )
        last = messages[-1]
        text = (_plain_text(last.get("content")) if last["role"] == "user" else None) or ""
        rest = scoped(body)
        if text:
            # Only the matched text leaves the scope: the message's other fields (``name``, ...)
            # stay, so another speaker asking the same words never hits.
            rest["messages"] = [*messages[:-1], {k: v for k, v in last.items() if k != "content"}]
        return head.fields(text, rest)

    def upstream_body(self, req: ParsedRequest) -> dict[str, Any]:
        """The client's body; a stream also asks for the usage chunk."""
        body = dict(req.body)
        if req.stream:
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        return body


def _plain_text(content: Any) -> str | None:
    """Message text if it is plain text (a string or only text parts); else None."""
    if isinstance(content, str):
        return content
    if (
        isinstance(content, list)
        and content
        and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    ):
        return "\n".join(p["text"] for p in content)
    return None


CHAT = Chat()
