#!/usr/bin/env bash
# Make sure `redis-server` is on PATH: install Debian's package when it is missing.
# Never starts a daemon (the tests start their own redis-server on a free port).
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
    echo "redis-server present: $(redis-server --version)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "ensure-redis: redis-server missing and not root (no sudo); install the redis-server package" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends: just the server binary, no extra tooling.
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
# Debian's package may start a system daemon on 6379 where an init system exists; tests use their
# own port, so it is harmless, but policy-rc.d-less containers simply have no daemon running.

if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-redis: installation finished but redis-server is still not on PATH" >&2
    exit 1
fi
echo "redis-server installed: $(redis-server --version)"
