"""Debian's nginx as a real reverse proxy in tests: gzip on, chunked transfer, short keep-alive.

``start_nginx(workdir, backend_port)`` writes a config and starts nginx (``daemon off``, so the
started process is the master) on a free 127.0.0.1 port in front of ``127.0.0.1:backend_port``;
``Nginx.stop()`` stops it by its PID. ``scripts/ensure-nginx.sh`` (``make test``) installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port

CONFIG = """
worker_processes 1;
daemon off;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 16m;
    keepalive_timeout 2s;
    # What CDN-fronted APIs do: compress JSON and event streams for clients that accept it.
    gzip on;
    gzip_min_length 20;
    gzip_proxied any;
    gzip_types application/json text/event-stream;
    upstream backend {{
        server 127.0.0.1:{backend};
        keepalive 8;
        keepalive_timeout 2s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            chunked_transfer_encoding on;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """Path of the nginx binary (Debian puts it in /usr/sbin), or None."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


@dataclass
class Nginx:
    """A running nginx master process."""

    popen: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def base(self) -> str:
        """``http://127.0.0.1:port``."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Graceful quit by PID (SIGQUIT), then kill if it lingers."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGQUIT)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def errors(self) -> str:
        """nginx's error log so far."""
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_nginx(workdir: Path, backend_port: int) -> Nginx:
    """nginx on a free port in front of ``127.0.0.1:backend_port``; waits until it listens.

    Only the TCP port is polled: the backend may run on the caller's own (blocked) event loop.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx not installed: run scripts/ensure-nginx.sh (make test does)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # Workers drop to "nobody" when started as root; run them as root so they can use workdir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = workdir / "nginx.conf"
    conf.write_text(CONFIG.format(dir=workdir, port=port, backend=backend_port, user=user))
    popen = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = Nginx(popen, port, workdir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and popen.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proxy
        except OSError:
            time.sleep(0.05)
    proxy.stop()
    raise AssertionError("nginx did not start:\n" + proxy.errors())
