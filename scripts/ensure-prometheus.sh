#!/usr/bin/env bash
# Make sure `prometheus` is on PATH: install Debian's package when it is missing.
# Never starts a daemon (the tests start their own prometheus on a free port).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
    echo "prometheus present: $(prometheus --version 2>&1 | head -1)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "ensure-prometheus: prometheus missing and not root (no sudo); install the prometheus package" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends: the server binary only (no node exporter, no web assets beyond its own).
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
# Debian's package may start a system daemon on 9090 where an init system exists; tests run their
# own prometheus on a free port with a temporary data directory, so it is harmless.

if ! command -v prometheus >/dev/null 2>&1; then
    echo "ensure-prometheus: installation finished but prometheus is still not on PATH" >&2
    exit 1
fi
echo "prometheus installed: $(prometheus --version 2>&1 | head -1)"
