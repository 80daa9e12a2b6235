#!/usr/bin/env bash
# Make sure `prometheus` is on PATH: install Debian's package when it is missing.
# Never starts a daemon (the tests start their own prometheus on a free port).
set -euo pipefail
# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

if command -v prometheus >/dev/null 2>&1; then
    echo "prometheus present: $(prometheus --version 2>&1 | head -1)"
    exit 0
fi

# --no-install-recommends: the server binary only (no node exporter, no web assets beyond its own).
apt_install ensure-prometheus prometheus
# Debian's package may start a system daemon on 9090 where an init system exists; tests run their
# own prometheus on a free port with a temporary data directory, so it is harmless.

if ! command -v prometheus >/dev/null 2>&1; then
    echo "ensure-prometheus: installation finished but prometheus is still not on PATH" >&2
    exit 1
fi
echo "prometheus installed: $(prometheus --version 2>&1 | head -1)"
