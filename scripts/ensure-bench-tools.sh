#!/usr/bin/env bash
# Make sure the tools `make bench` drives are on PATH, installing Debian's packages when missing:
#   wrk           max-RPS load runs (exact and semantic hits)
#   node + npm    Portkey's Node gateway, a peer (installed by scripts/setup-peers.sh)
# Fails loudly (exit 1, the missing tool named) rather than letting a benchmark report 0 req/s.
set -euo pipefail
# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    echo "ensure-bench-tools: installing ${missing[*]}"
    apt_install ensure-bench-tools "${missing[@]}"
fi

for tool in wrk node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ensure-bench-tools: $tool is still not on PATH after installation" >&2
        exit 1
    fi
done
# The gateway's bundle uses global fetch and WebCrypto: Node 18 or newer (Debian 12 ships 18).
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
    echo "ensure-bench-tools: node $(node --version) is too old for the Portkey gateway (need >= 18)" >&2
    exit 1
fi
echo "bench tools present: $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), node $(node --version), npm $(npm --version)"
