#!/usr/bin/env bash
# Offline checks of the deployment artifacts; exits non-zero if any check fails.
#   1. hadolint on the Dockerfile
#   2. yamllint (strict, repo .yamllint) on deploy/
#   3. kubernetes-validate --strict on every Kubernetes manifest file under deploy/kubernetes
#   4. kubectl kustomize (or kustomize build) of every overlay, alone and with all components,
#      and kubernetes-validate --strict on the rendered output, at the newest schema and at the
#      oldest Kubernetes version each form supports.
# Custom resources (PodMonitor) have no schema in kubernetes-validate: it warns and passes them,
# so they are covered by yamllint and tests/test_deploy.py only.
# Tools come from .venv/bin when present, else from PATH. No cluster or Docker engine needed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
KUBE_DIR=deploy/kubernetes
# Oldest Kubernetes each form is meant to run on (native sidecars: SidecarContainers in 1.29).
MIN_KUBE_CLASSIC=1.25.0
MIN_KUBE_NATIVE=1.29.0

failures=()

tool() {  # tool NAME -> path of the binary, preferring the project venv
    if [[ -x "$ROOT/.venv/bin/$1" ]]; then echo "$ROOT/.venv/bin/$1"; else command -v "$1"; fi
}

run() {  # run LABEL CMD... -> runs, records a failure by label
    local label="$1"; shift
    echo "==> $label" >&2
    if ! "$@"; then
        failures+=("$label")
    fi
}

need() {  # need NAME -> path or a recorded failure
    local path
    path="$(tool "$1")" || { echo "missing tool: $1 (pip install -e '.[dev]')" >&2; failures+=("missing $1"); return 1; }
    echo "$path"
}

HADOLINT="$(need hadolint)" && run "hadolint Dockerfile" "$HADOLINT" Dockerfile
YAMLLINT="$(need yamllint)" && run "yamllint deploy/" "$YAMLLINT" -s deploy
KV="$(need kubernetes-validate)" || KV=""

# Manifest files: YAML with apiVersion/kind, minus Kustomize's own files (and data files such
# as base/config.yaml, which are not Kubernetes objects).
mapfile -t manifests < <(
    find "$KUBE_DIR" -name '*.yaml' -print | sort | while read -r f; do
        grep -qE '^kind: (Kustomization|Component)$' "$f" && continue
        grep -q '^apiVersion:' "$f" || continue
        echo "$f"
    done
)
if [[ -n "$KV" ]]; then
    run "kubernetes-validate --strict: ${#manifests[@]} manifest files" \
        "$KV" --strict --quiet "${manifests[@]}"
fi

render() {  # render DIR -> rendered YAML on stdout
    if command -v kubectl >/dev/null 2>&1; then
        kubectl kustomize "$1"
    elif command -v kustomize >/dev/null 2>&1; then
        kustomize build "$1"
    else
        return 127
    fi
}

if ! command -v kubectl >/dev/null 2>&1 && ! command -v kustomize >/dev/null 2>&1; then
    echo "==> kustomize render: SKIPPED (neither kubectl nor kustomize on PATH);" \
         "the manifest files above were validated individually"
elif [[ -n "$KV" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    components=()
    for c in "$KUBE_DIR"/components/*/; do components+=("${c%/}"); done
    for overlay in "$KUBE_DIR"/overlays/*/; do
        overlay="${overlay%/}"
        name="$(basename "$overlay")"
        min="$MIN_KUBE_CLASSIC"
        [[ "$name" == native-sidecar ]] && min="$MIN_KUBE_NATIVE"
        # The overlay alone.
        out="$tmp/$name.yaml"
        if run "kustomize render $overlay" render "$overlay" > "$out"; then
            run "kubernetes-validate --strict rendered $name (latest)" "$KV" --strict --quiet "$out"
            run "kubernetes-validate --strict rendered $name (k8s $min)" \
                "$KV" --strict --quiet -k "$min" "$out"
        fi
        # The overlay with every component (paths relative: kustomize refuses absolute ones).
        all="$tmp/$name-all"
        mkdir -p "$all"
        {
            echo "apiVersion: kustomize.config.k8s.io/v1beta1"
            echo "kind: Kustomization"
            echo "resources:"
            echo "  - $(realpath --relative-to="$all" "$overlay")"
            echo "components:"
            for c in "${components[@]}"; do echo "  - $(realpath --relative-to="$all" "$c")"; done
        } > "$all/kustomization.yaml"
        out="$tmp/$name-all.yaml"
        if run "kustomize render $overlay + all components" render "$all" > "$out"; then
            run "kubernetes-validate --strict rendered $name + components (latest)" \
                "$KV" --strict --quiet "$out"
            run "kubernetes-validate --strict rendered $name + components (k8s $min)" \
                "$KV" --strict --quiet -k "$min" "$out"
        fi
    done
fi

echo
if ((${#failures[@]})); then
    echo "lint-deploy: FAILED: ${failures[*]}" >&2
    exit 1
fi
echo "lint-deploy: all checks passed"
