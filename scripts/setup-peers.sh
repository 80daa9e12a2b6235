#!/usr/bin/env bash
# Install the peer systems the benchmarks compare against, each in its own venv OUTSIDE the repo:
#   $BENCH_CACHE/venvs/litellm   LiteLLM proxy   (pip install 'litellm[proxy]')
#   $BENCH_CACHE/venvs/gptcache  GPTCache server (gptcache + openai==0.28.1 for its adapter)
#   $BENCH_CACHE/node/portkey    Portkey's AI gateway (npm @portkey-ai/gateway, pinned), run by node
# Idempotent: a venv with a .ok marker is left alone. A failed install leaves an .error file with
# the pip output's tail; the benchmarks then report that peer as "could not run" with that text.
#
# GPTCache's sbert embedding needs sentence-transformers + torch. Rather than downloading torch
# again, the gptcache venv appends the sidecar's .venv site-packages to its path (a .pth file is
# processed after the venv's own site-packages, so its openai==0.28.1 still wins over the
# sidecar's openai 1.x). The embedding model is the same packaged MiniLM the sidecar uses.
set -u
BENCH_CACHE=${BENCH_CACHE:-/work/.bench-cache}
PY=${PY:-python3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
MAIN_SITE=$("$REPO/.venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$BENCH_CACHE/venvs"

install() {  # install NAME PIP-ARGS...
    local name=$1; shift
    local venv="$BENCH_CACHE/venvs/$name"
    if [ -f "$venv/.ok" ]; then
        echo "setup-peers: $name already installed ($venv)"
        return 0
    fi
    echo "setup-peers: installing $name into $venv"
    rm -f "$venv/.error"
    "$PY" -m venv "$venv" || { echo "python -m venv failed" >"$BENCH_CACHE/venvs/$name.error"; return 1; }
    if "$venv/bin/pip" install -q --disable-pip-version-check "$@" >"$venv/pip.log" 2>&1; then
        touch "$venv/.ok"
        echo "setup-peers: $name ok"
    else
        tail -n 30 "$venv/pip.log" >"$venv/.error"
        echo "setup-peers: $name FAILED (see $venv/.error)"
        return 1
    fi
}

install_portkey() {  # npm package into its own prefix, same .ok/.error markers as the venvs
    local dir="$BENCH_CACHE/node/portkey"
    if [ -f "$dir/.ok" ]; then
        echo "setup-peers: portkey already installed ($dir)"
        return 0
    fi
    echo "setup-peers: installing portkey into $dir"
    mkdir -p "$dir"
    rm -f "$dir/.error"
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm not found (bash scripts/ensure-bench-tools.sh installs Debian's nodejs + npm)" >"$dir/.error"
        echo "setup-peers: portkey FAILED (no npm)"
        return 1
    fi
    if (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$PORTKEY_PKG") >"$dir/npm.log" 2>&1 \
        && [ -f "$dir/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
        touch "$dir/.ok"
        echo "setup-peers: portkey ok"
    else
        tail -n 30 "$dir/npm.log" >"$dir/.error"
        echo "setup-peers: portkey FAILED (see $dir/.error)"
        return 1
    fi
}

status=0
PORTKEY_PKG=${PORTKEY_PKG:-@portkey-ai/gateway@1.15.2}
install_portkey || status=1
install litellm 'litellm[proxy]' || status=1
install gptcache gptcache 'openai==0.28.1' fastapi uvicorn 'ruamel.yaml' sqlalchemy tiktoken || status=1
if [ -f "$BENCH_CACHE/venvs/gptcache/.ok" ]; then
    site=$("$BENCH_CACHE/venvs/gptcache/bin/python" -c 'import site; print(site.getsitepackages()[0])')
    echo "$MAIN_SITE" >"$site/zz_sidecar_site.pth"
fi
# tiktoken downloads its BPE files at first use (no internet here): LiteLLM's wheel ships
# cl100k_base under the file name tiktoken's cache expects (sha1 of the URL); GPTCache counts
# tokens on every cache hit, so its server runs with TIKTOKEN_CACHE_DIR pointing at this copy.
tok="$BENCH_CACHE/venvs/litellm/lib/python3.11/site-packages/litellm/litellm_core_utils/tokenizers"
if [ -d "$tok" ]; then
    mkdir -p "$BENCH_CACHE/tiktoken"
    cp -n "$tok"/[0-9a-f]*[0-9a-f] "$BENCH_CACHE/tiktoken/" 2>/dev/null || true
fi
exit $status
