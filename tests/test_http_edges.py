"""The real process at the HTTP edge (issue 13 items 12, 16, 20, 22): slowloris connections are
closed, malformed HTTP gets an OpenAI-shaped 400 that echoes nothing, no key reaches the log,
SIGHUP without ``--config`` keeps the process up."""

from __future__ import annotations

import json
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import Proc, start_mock_process, start_sidecar_process

SECRET = "sk-client-LEAKCHECK-7f3a9c"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, Proc]]:
    tmp = tmp_path_factory.mktemp("http-edges")
    mock = start_mock_process(tmp)
    env = {
        "SIDECAR_CACHE_ENABLED": "false",
        "SIDECAR_ROUTING_ENABLED": "false",
        "SIDECAR_SERVER_HEADER_TIMEOUT_S": "0.5",
        "SIDECAR_SERVER_KEEPALIVE_TIMEOUT_S": "1",
    }
    sidecar = start_sidecar_process(tmp, mock.base, env)
    yield sidecar, mock
    sidecar.stop()
    mock.stop()


def _raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, headers, body


BODY = b'{"model":"auto","messages":[{"role":"user","content":"hi"}]}'
MALFORMED = {
    "bare CR in Authorization": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + b"\rX-Evil: 1\r\nContent-Length: %d\r\n\r\n" % len(BODY)
        + BODY
    ),
    "Authorization over 8,190 bytes": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + b"A" * 9000
        + b"\r\nContent-Length: %d\r\n\r\n" % len(BODY)
        + BODY
    ),
    "non-numeric Content-Length": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + b"\r\nContent-Length: 12abc\r\n\r\n"
        + BODY
    ),
    "two Content-Lengths": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        b"Content-Length: 5\r\n\r\n" + BODY
    ),
    "bad chunk size": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\n" + BODY + b"\r\n0\r\n\r\n"
    ),
    "header name with space": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nBad Header"
        + SECRET.encode()
        + b": v\r\nContent-Length: %d\r\n\r\n" % len(BODY)
        + BODY
    ),
    "garbage request line": b"\x16\x03\x01 not http at all " + SECRET.encode() + b"\r\n\r\n",
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_http_gets_openai_400_without_echo(live, case):
    """Items 20 + 22: an OpenAI-shaped JSON 400, no raw header echoed, nothing in the logs."""
    sidecar, _ = live
    status, headers, body = _split(_raw(sidecar.port, MALFORMED[case]))
    assert status in (400, 413, 431), (status, body)
    assert headers["content-type"].startswith("application/json")
    err = json.loads(body)["error"]
    assert err["type"] == "invalid_request_error" and err["message"].startswith("malformed HTTP")
    assert SECRET not in body.decode("latin-1") and "LEAKCHECK" not in body.decode("latin-1")
    time.sleep(0.1)  # let the log line land
    assert "LEAKCHECK" not in sidecar.log()
    assert sidecar.alive()


def test_slowloris_connections_are_closed(live):
    """Item 16: connections trickling header bytes are closed at the header deadline (0.5 s)."""
    sidecar, _ = live
    socks = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", sidecar.port), timeout=5)
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        socks.append(s)
    open_ = set(socks)
    deadline = time.monotonic() + 15  # generous: the deadline is 0.5 s, the machine is shared
    while open_ and time.monotonic() < deadline:
        for s in list(open_):
            try:
                s.send(b"X-Slow: 1\r\n")  # keep trickling: must not extend the deadline
            except OSError:
                open_.discard(s)
        readable, _, _ = select.select(list(open_), [], [], 0.2)
        for s in readable:
            try:
                if not s.recv(4096):
                    open_.discard(s)
            except OSError:
                open_.discard(s)
    for s in socks:
        s.close()
    assert not open_, f"{len(open_)} of 200 slow connections still open after 15 s"
    # a normal request still works
    status, _, _ = _split(
        _raw(
            sidecar.port,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    )
    assert status == 200


def test_sighup_without_config_keeps_running(live, tmp_path: Path):
    """Item 12: SIGHUP without --config is logged and ignored, not fatal."""
    _sidecar, mock = live
    proc = start_sidecar_process(
        tmp_path,
        mock.base,
        {"SIDECAR_CACHE_ENABLED": "false", "SIDECAR_ROUTING_ENABLED": "false"},
    )
    try:
        proc.popen.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.alive(), proc.log()[-2000:]
        status, _, _ = _split(
            _raw(proc.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        )
        assert status == 200
        assert proc.stop() == 0
    finally:
        proc.stop(signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.timeout(240)
def test_large_bodies_do_not_stall_the_event_loop(tmp_path: Path):
    """Item 9: /healthz keeps answering while 4 MiB requests are parsed, routed and forwarded.

    The bound is generous on purpose (a shared 2-core machine): before the fix one 3.9 MiB
    request stalled the loop for 2.8-15 s; the measured p99 is in docs/ (benchmarks/loop_stall.py).
    """
    import threading
    import urllib.request

    mock = start_mock_process(tmp_path)
    sidecar = start_sidecar_process(tmp_path, mock.base)
    try:
        words = " ".join(f"w{i} 12{i}" for i in range(400_000))[: 4 * 1024 * 1024 - 500]
        body = json.dumps({"model": "auto", "messages": [{"role": "user", "content": words}]})
        stalls: list[float] = []
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                with urllib.request.urlopen(sidecar.base + "/healthz", timeout=30) as r:
                    r.read()
                stalls.append(time.perf_counter() - t0)
                time.sleep(0.01)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            for _ in range(3):
                req = urllib.request.Request(
                    sidecar.base + "/v1/chat/completions",
                    data=body.encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=120) as r:
                    assert r.status == 200
                    assert r.headers["X-Sidecar-Cache"] == "bypass"  # over cache.max_text_chars
        finally:
            stop.set()
            poller.join()
        assert len(stalls) > 20
        assert max(stalls) < 1.0, f"/healthz stalled {max(stalls):.2f} s"
    finally:
        sidecar.stop()
        mock.stop()
