"""What differs between the mock's Responses and Messages endpoints: request checks, scripted
errors in each API's error shape, the echoed answer with usage, and the SSE event sequence
(written from the public API references). Used by ``sidecar.mock_dialects``."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Any

import orjson
from aiohttp import web

KEPT_RESPONSES = 10_000


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def openai_error(status: int, message: str, type_: str, **headers: str) -> web.Response:
    payload = {"error": {"message": message, "type": type_, "param": None, "code": None}}
    return web.json_response(payload, status=status, headers=headers or None)


class MockApi:
    """What differs between the two mocked APIs."""

    def check(self, body: dict[str, Any]) -> web.Response | None:
        raise NotImplementedError

    def error(self, behavior: str, retry_after: float) -> web.Response | None:
        raise NotImplementedError

    def text(self, body: dict[str, Any]) -> str:
        raise NotImplementedError

    def max_tokens(self, body: dict[str, Any]) -> int | None:
        raise NotImplementedError

    def answer(self, body: dict[str, Any], words: list[str], truncated: bool) -> dict[str, Any]:
        raise NotImplementedError

    def events(self, answer: dict[str, Any], words: list[str]) -> list[tuple[str, dict[str, Any]]]:
        raise NotImplementedError


class ResponsesApi(MockApi):
    def __init__(self, kept: OrderedDict[str, bytes]) -> None:
        self.kept = kept

    def check(self, body: dict[str, Any]) -> web.Response | None:
        if not isinstance(body.get("model"), str):
            return openai_error(
                400, "Missing required parameter: 'model'.", "invalid_request_error"
            )
        if not isinstance(body.get("input"), str | list):
            return openai_error(400, "Invalid type for 'input'.", "invalid_request_error")
        prev = body.get("previous_response_id")
        if prev is not None and prev not in self.kept:
            msg = f"Previous response with id '{prev}' not found."
            return openai_error(404, msg, "invalid_request_error")
        return None

    def error(self, behavior: str, retry_after: float) -> web.Response | None:
        if behavior == "500":
            return openai_error(500, "mock internal error", "server_error")
        if behavior == "429":
            return openai_error(
                429, "mock rate limit", "rate_limit_error", **{"Retry-After": f"{retry_after:g}"}
            )
        if behavior == "400":
            return openai_error(400, "mock bad request", "invalid_request_error")
        return None

    def text(self, body: dict[str, Any]) -> str:
        items = body.get("input")
        if isinstance(items, str):
            return items
        for item in reversed(items or []):
            if isinstance(item, dict) and item.get("role") == "user":
                return text_of(item.get("content"))
        return ""

    def max_tokens(self, body: dict[str, Any]) -> int | None:
        value = body.get("max_output_tokens")
        return value if isinstance(value, int) else None

    def answer(self, body: dict[str, Any], words: list[str], truncated: bool) -> dict[str, Any]:
        text = " ".join(words)
        items = body["input"] if isinstance(body["input"], list) else [{"content": body["input"]}]
        used = sum(len(text_of(i.get("content")).split()) for i in items if isinstance(i, dict))
        used += len(str(body.get("instructions") or "").split())
        message = {
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "status": "incomplete" if truncated else "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        answer: dict[str, Any] = {
            "id": f"resp_{uuid.uuid4().hex}",
            "object": "response",
            "created_at": int(time.time()),
            "status": "incomplete" if truncated else "completed",
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": body["model"],
            "output": [message],
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": {
                "input_tokens": used,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": len(words),
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": used + len(words),
            },
            "metadata": body.get("metadata") or {},
        }
        if answer["store"]:
            self.kept[answer["id"]] = orjson.dumps(answer)
            while len(self.kept) > KEPT_RESPONSES:
                self.kept.popitem(last=False)
        return answer

    def events(self, answer: dict[str, Any], words: list[str]) -> list[tuple[str, dict[str, Any]]]:
        msg = answer["output"][0]
        part = {"type": "output_text", "text": "", "annotations": []}
        ids = {"item_id": msg["id"], "output_index": 0}
        start = {**answer, "status": "in_progress", "output": [], "usage": None}
        start["incomplete_details"] = None
        out: list[dict[str, Any]] = [
            {"type": "response.created", "response": start},
            {"type": "response.in_progress", "response": start},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**msg, "status": "in_progress", "content": []},
            },
            {"type": "response.content_part.added", **ids, "content_index": 0, "part": part},
        ]
        for i, word in enumerate(words):
            delta = word if i == 0 else " " + word
            out.append(
                {
                    "type": "response.output_text.delta",
                    **ids,
                    "content_index": 0,
                    "delta": delta,
                    "logprobs": [],
                }
            )
        text = msg["content"][0]["text"]
        out += [
            {
                "type": "response.output_text.done",
                **ids,
                "content_index": 0,
                "text": text,
                "logprobs": [],
            },
            {
                "type": "response.content_part.done",
                **ids,
                "content_index": 0,
                "part": msg["content"][0],
            },
            {"type": "response.output_item.done", "output_index": 0, "item": msg},
            {"type": f"response.{answer['status']}", "response": answer},
        ]
        return [(e["type"], {**e, "sequence_number": n}) for n, e in enumerate(out)]


class MessagesApi(MockApi):
    def __init__(self, request: web.Request) -> None:
        self.version = request.headers.get("anthropic-version")

    @staticmethod
    def _err(status: int, type_: str, message: str, **headers: str) -> web.Response:
        payload = {"type": "error", "error": {"type": type_, "message": message}}
        return web.json_response(payload, status=status, headers=headers or None)

    def check(self, body: dict[str, Any]) -> web.Response | None:
        if not self.version:
            return self._err(400, "invalid_request_error", "anthropic-version: header is required")
        if not isinstance(body.get("max_tokens"), int):
            return self._err(400, "invalid_request_error", "max_tokens: Field required")
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return self._err(400, "invalid_request_error", "messages: Field required")
        return None

    def error(self, behavior: str, retry_after: float) -> web.Response | None:
        if behavior == "500":
            return self._err(500, "api_error", "mock internal error")
        if behavior == "429":
            return self._err(
                429, "rate_limit_error", "mock rate limit", **{"retry-after": f"{retry_after:g}"}
            )
        if behavior == "400":
            return self._err(400, "invalid_request_error", "mock bad request")
        return None

    def text(self, body: dict[str, Any]) -> str:
        for msg in reversed(body.get("messages") or []):
            if isinstance(msg, dict) and msg.get("role") == "user":
                return text_of(msg.get("content"))
        return ""

    def max_tokens(self, body: dict[str, Any]) -> int | None:
        return int(body["max_tokens"])

    def answer(self, body: dict[str, Any], words: list[str], truncated: bool) -> dict[str, Any]:
        used = sum(len(text_of(m.get("content")).split()) + 3 for m in body["messages"])
        used += len(text_of(body.get("system")).split())
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "mock-model"),
            "content": [{"type": "text", "text": " ".join(words)}],
            "stop_reason": "max_tokens" if truncated else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": used, "output_tokens": len(words)},
        }

    def events(self, answer: dict[str, Any], words: list[str]) -> list[tuple[str, dict[str, Any]]]:
        start = {**answer, "content": [], "stop_reason": None}
        start["usage"] = {"input_tokens": answer["usage"]["input_tokens"], "output_tokens": 1}
        out: list[dict[str, Any]] = [
            {"type": "message_start", "message": start},
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            {"type": "ping"},
        ]
        for i, word in enumerate(words):
            delta = {"type": "text_delta", "text": word if i == 0 else " " + word}
            out.append({"type": "content_block_delta", "index": 0, "delta": delta})
        out += [
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": answer["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": answer["usage"]["output_tokens"]},
            },
            {"type": "message_stop"},
        ]
        return [(e["type"], e) for e in out]
