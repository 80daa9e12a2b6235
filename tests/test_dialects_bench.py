"""The dialects benchmark's arithmetic: added = sidecar - direct per percentile, and each
dialect compared with chat completions (added ms for misses, own latency for hits)."""

from __future__ import annotations

from benchmarks.dialects_bench import body, summarize


def test_summary_compares_each_dialect_with_chat() -> None:
    def rows(direct: float, miss: float, hit: float) -> dict[str, list[float]]:
        return {
            "miss_direct": [direct] * 10,
            "miss_sidecar": [miss] * 10,
            "hit_direct": [direct] * 10,
            "hit_sidecar": [hit] * 10,
        }

    table = summarize({"chat": rows(0.020, 0.025, 0.002), "messages": rows(0.030, 0.036, 0.003)})
    miss = table["messages"]["miss"]
    assert round(miss["added_ms"]["p50"], 6) == 6.0
    assert round(miss["vs_chat_ms"]["p50"], 6) == 1.0  # 6 ms added vs chat's 5 ms
    assert round(table["messages"]["hit"]["vs_chat_ms"]["p50"], 6) == 1.0  # 3 ms vs 2 ms
    assert table["chat"]["hit"]["vs_chat_ms"]["p50"] == 0.0


def test_bodies_per_dialect() -> None:
    assert body("responses", "q", "auto") == {"model": "auto", "input": "q"}
    assert body("messages", "q", "m")["max_tokens"] == 256
    assert body("chat", "q", "m")["messages"] == [{"role": "user", "content": "q"}]
