#!/usr/bin/env bash
# Make sure `redis-server` is on PATH: install Debian's package when it is missing.
# Never starts a daemon (the tests start their own redis-server on a free port).
set -euo pipefail
# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

if command -v redis-server >/dev/null 2>&1; then
    echo "redis-server present: $(redis-server --version)"
    exit 0
fi

# --no-install-recommends: just the server binary, no extra tooling.
apt_install ensure-redis redis-server
# Debian's package may start a system daemon on 6379 where an init system exists; tests use their
# own port, so it is harmless, but policy-rc.d-less containers simply have no daemon running.

if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-redis: installation finished but redis-server is still not on PATH" >&2
    exit 1
fi
echo "redis-server installed: $(redis-server --version)"
