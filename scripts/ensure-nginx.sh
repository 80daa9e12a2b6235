#!/usr/bin/env bash
# Make sure `nginx` is on PATH: install Debian's package when it is missing.
# Never starts a daemon (the tests start their own nginx on a free 127.0.0.1 port with their own
# config and prefix, and stop it by PID).
set -euo pipefail
# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

if [ -n "$(find_nginx)" ]; then
    echo "nginx present: $("$(find_nginx)" -v 2>&1)"
    exit 0
fi

# nginx-light is not in every release; plain `nginx` (with gzip and the proxy module) is.
apt_install ensure-nginx nginx
# Where an init system exists the package may start a system daemon on :80; the tests never use
# it. In containers without one nothing runs.

if [ -z "$(find_nginx)" ]; then
    echo "ensure-nginx: installation finished but nginx is still not found" >&2
    exit 1
fi
echo "nginx installed: $("$(find_nginx)" -v 2>&1)"
