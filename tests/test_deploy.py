"""Deployment artifacts (Dockerfile, deploy/kubernetes): linters, schema validation, structure.

Everything here is offline: no Docker engine, no cluster. The linters run from `.venv/bin`
(dev extras) or PATH and a test is skipped only when its tool binary is missing. The structural
checks pin the contract between the manifests and the app: probes on /readyz and /healthz, a
drain budget that fits terminationGracePeriodSeconds, hardened containers, and a ConfigMap
config that the sidecar's own loader accepts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBE = ROOT / "deploy" / "kubernetes"
OVERLAYS = {
    "classic": KUBE / "overlays" / "classic",
    "native": KUBE / "overlays" / "native-sidecar",
}
COMPONENTS = sorted(p for p in (KUBE / "components").iterdir() if p.is_dir())
CONFIG = KUBE / "base" / "config.yaml"
SIDECAR = "llm-sidecar"
SIDECAR_PORT = 8080
# Seconds a cache snapshot write may take after the drain (100k entries, slow disk).
SNAPSHOT_MARGIN_S = 3.0
# Oldest Kubernetes each form targets: native sidecars need SidecarContainers (1.29).
MIN_KUBE = {"classic": "1.25.0", "native": "1.29.0"}


# --- helpers ---------------------------------------------------------------------------------


def _tool(name: str) -> str:
    """Path of a linter binary (project venv first), or skip the test with the reason."""
    venv = Path(sys.prefix) / "bin" / name
    path = str(venv) if venv.exists() else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (it is in the dev extras: pip install -e '.[dev]')")
    return path


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    """Run a tool from the repo root, capturing its output for the assertion message."""
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=50, check=False)


def _docs(path: Path) -> list[dict[str, Any]]:
    """All YAML documents of a file (empty ones dropped)."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _manifest_files() -> list[Path]:
    """Kubernetes object files under deploy/kubernetes (not Kustomize files, not data files)."""
    out = []
    for path in sorted(KUBE.rglob("*.yaml")):
        docs = _docs(path)
        if docs and all(
            "apiVersion" in d and d.get("kind") not in ("Kustomization", "Component") for d in docs
        ):
            out.append(path)
    return out


def _kustomize() -> list[str] | None:
    """The command that renders a kustomization, if one is on PATH."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def _render(target: Path) -> list[dict[str, Any]]:
    """Rendered objects of a kustomization directory (skip when no renderer is installed)."""
    cmd = _kustomize()
    if cmd is None:
        pytest.skip("neither kubectl nor kustomize installed; files are validated one by one")
    proc = _run(*cmd, str(target))
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _with_all_components(tmp_path: Path, overlay: Path) -> Path:
    """A throw-away kustomization: the overlay plus every component (relative paths only)."""
    rel = [os.path.relpath(p, tmp_path) for p in (overlay, *COMPONENTS)]
    spec = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": rel[:1],
        "components": rel[1:],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return tmp_path


def _deployment(form: str) -> dict[str, Any]:
    (doc,) = _docs(OVERLAYS[form] / "deployment.yaml")
    assert doc["kind"] == "Deployment"
    return doc


def _pod(form: str) -> dict[str, Any]:
    return _deployment(form)["spec"]["template"]["spec"]


def _sidecar(form: str) -> dict[str, Any]:
    pod = _pod(form)
    found = [
        c for c in pod.get("containers", []) + pod.get("initContainers", []) if c["name"] == SIDECAR
    ]
    assert len(found) == 1, f"{form}: expected exactly one {SIDECAR} container"
    return found[0]


def _app(form: str) -> dict[str, Any]:
    (app,) = [c for c in _pod(form)["containers"] if c["name"] != SIDECAR]
    return app


def _prestop_s(container: dict[str, Any]) -> float:
    """Seconds a preStop hook sleeps: exec `sleep N` or the built-in sleep action; 0 if none."""
    hook = container.get("lifecycle", {}).get("preStop")
    if hook is None:
        return 0.0
    if "sleep" in hook:
        return float(hook["sleep"]["seconds"])
    cmd = hook["exec"]["command"]
    assert cmd[0] == "sleep" and len(cmd) == 2, f"unexpected preStop command {cmd}"
    return float(cmd[1])


def _server_config() -> dict[str, Any]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return config.get("server", {})


def _all_pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in _manifest_files():
        for doc in _docs(path):
            if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
                yield (
                    f"{path.relative_to(ROOT)}:{doc['metadata']['name']}",
                    doc["spec"]["template"]["spec"],
                )


def _mem_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    m = re.fullmatch(r"(\d+)([KMG]i?)?", quantity)
    assert m, quantity
    return int(m.group(1)) * units.get(m.group(2) or "", 1)


# --- linters and schema validation -------------------------------------------------------------


def test_hadolint_dockerfile() -> None:
    proc = _run(_tool("hadolint"), "Dockerfile")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_yamllint_deploy() -> None:
    proc = _run(_tool("yamllint"), "-s", "deploy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_kubernetes_validate_manifest_files() -> None:
    files = [str(p.relative_to(ROOT)) for p in _manifest_files()]
    assert len(files) >= 6, files
    proc = _run(_tool("kubernetes-validate"), "--strict", "--quiet", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("form", sorted(OVERLAYS))
@pytest.mark.parametrize("with_components", [False, True], ids=["alone", "all-components"])
def test_rendered_overlay_validates(form: str, with_components: bool, tmp_path: Path) -> None:
    kv = _tool("kubernetes-validate")
    target = _with_all_components(tmp_path, OVERLAYS[form]) if with_components else OVERLAYS[form]
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(_render(target)), encoding="utf-8")
    for version in (None, MIN_KUBE[form]):
        proc = _run(kv, "--strict", "--quiet", *(["-k", version] if version else []), str(rendered))
        assert proc.returncode == 0, f"k8s {version or 'latest'}: {proc.stdout}{proc.stderr}"


def test_native_form_is_rejected_before_sidecar_containers() -> None:
    """Guards the validator itself: strict schemas of 1.27 must not know restartPolicy here."""
    proc = _run(
        _tool("kubernetes-validate"),
        "--strict",
        "--quiet",
        "-k",
        "1.27.0",
        str(OVERLAYS["native"] / "deployment.yaml"),
    )
    assert proc.returncode != 0 and "restartPolicy" in proc.stdout + proc.stderr


def test_lint_script_is_valid_bash() -> None:
    proc = _run("bash", "-n", "scripts/lint-deploy.sh")
    assert proc.returncode == 0, proc.stderr


# --- the two sidecar forms ---------------------------------------------------------------------


def test_classic_form_is_a_second_container() -> None:
    pod = _pod("classic")
    assert [c["name"] for c in pod["containers"]] == ["app", SIDECAR]
    assert not pod.get("initContainers")
    assert "restartPolicy" not in _sidecar("classic")


def test_native_form_is_a_restartable_init_container() -> None:
    pod = _pod("native")
    assert [c["name"] for c in pod["initContainers"]] == [SIDECAR]
    assert pod["initContainers"][0]["restartPolicy"] == "Always"
    assert [c["name"] for c in pod["containers"]] == ["app"]


def test_sidecar_container_is_the_same_in_both_forms() -> None:
    """Only the fields that define the form may differ (restartPolicy, the preStop sleep)."""

    def strip(c: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in c.items() if k not in ("restartPolicy", "lifecycle")}

    assert strip(_sidecar("classic")) == strip(_sidecar("native"))
    assert _app("classic") == _app("native")
    assert _pod("classic")["volumes"] == _pod("native")["volumes"]


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_probes_point_at_readyz_and_healthz(form: str) -> None:
    sidecar = _sidecar(form)
    (port,) = sidecar["ports"]
    assert port["containerPort"] == SIDECAR_PORT
    paths = {
        kind: sidecar[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert paths == {
        "startupProbe": "/readyz",
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
    }
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert sidecar[kind]["httpGet"]["port"] in (port["name"], SIDECAR_PORT)
    startup = sidecar["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, "model load needs time"


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_args_match_the_image_cmd(form: str) -> None:
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    assert cmd, "Dockerfile has no exec-form CMD"
    assert _sidecar(form)["args"] == yaml.safe_load(cmd.group(1))
    assert "0.0.0.0" in _sidecar(form)["args"], "probes and scraping reach the pod IP"


# --- graceful shutdown -------------------------------------------------------------------------


def test_classic_drain_fits_the_grace_period() -> None:
    server = _server_config()
    grace = float(server.get("shutdown_grace_s", 25)) + float(server.get("drain_delay_s", 2))
    prestop = _prestop_s(_sidecar("classic"))
    assert prestop > 0, "classic sidecar needs a preStop sleep (both containers get SIGTERM)"
    budget = prestop + grace + SNAPSHOT_MARGIN_S
    assert budget < _pod("classic")["terminationGracePeriodSeconds"], budget
    # The sidecar must outlive the app's own preStop, or the app's last calls find it closed.
    assert prestop > _prestop_s(_app("classic"))


def test_native_drain_fits_the_grace_period() -> None:
    server = _server_config()
    budget = (
        _prestop_s(_sidecar("native"))
        + float(server.get("shutdown_grace_s", 25))
        + float(server.get("drain_delay_s", 2))
        + SNAPSHOT_MARGIN_S
    )
    assert budget < _pod("native")["terminationGracePeriodSeconds"], budget
    # The native sidecar gets SIGTERM after the app exits, so the app's preStop fits in too.
    assert _prestop_s(_app("native")) + budget < _pod("native")["terminationGracePeriodSeconds"]


# --- security, resources, volumes --------------------------------------------------------------


def test_every_container_is_hardened() -> None:
    specs = list(_all_pod_specs())
    assert len(specs) >= 3
    for where, pod in specs:
        pod_ctx = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, where
        for c in pod.get("initContainers", []) + pod["containers"]:
            ctx = c.get("securityContext", {})
            name = f"{where}/{c['name']}"
            assert ctx.get("readOnlyRootFilesystem") is True, name
            assert ctx.get("allowPrivilegeEscalation") is False, name
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], name
            assert ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True, name
            seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", name


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_sidecar_has_writable_mounts_for_a_readonly_root(form: str) -> None:
    sidecar, pod = _sidecar(form), _pod(form)
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    cache_dir = yaml.safe_load(CONFIG.read_text())["cache"]["dir"]
    assert cache_dir in mounts and not mounts[cache_dir].get("readOnly")
    assert mounts["/etc/llm-sidecar"]["readOnly"] is True
    assert "configMap" in volumes[mounts["/etc/llm-sidecar"]["name"]]
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"] == 10001


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_resources_fit_the_cache_budget(form: str) -> None:
    res = _sidecar(form)["resources"]
    request, limit = _mem_bytes(res["requests"]["memory"]), _mem_bytes(res["limits"]["memory"])
    assert res["requests"]["cpu"] and "cpu" not in res["limits"], "no CPU limit: throttling"
    assert 512 * 2**20 <= request < limit
    max_bytes = yaml.safe_load(CONFIG.read_text())["cache"]["max_bytes"]
    # ~350 MB for model, classifier and index on top of the entries, plus snapshot headroom.
    assert max_bytes + 400 * 2**20 <= limit


# --- config, secrets, app wiring ---------------------------------------------------------------


def test_config_has_three_tiers_in_order() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert [t["name"] for t in config["tiers"]] == ["small", "medium", "large"]
    models = [t["deployments"][0]["model"] for t in config["tiers"]]
    assert models == ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"]
    keys = {d["api_key_env"] for t in config["tiers"] for d in t["deployments"]}
    assert keys == {"OPENAI_API_KEY"}


def test_config_is_accepted_by_the_sidecar_loader() -> None:
    config_mod = pytest.importorskip("sidecar.config")
    settings = config_mod.load_settings(CONFIG, {})
    assert [t.name for t in settings.tiers] == ["small", "medium", "large"]
    assert settings.cache.dir == "/var/lib/llm-sidecar"


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_rendered_configmap_carries_the_config(form: str) -> None:
    objs = _render(OVERLAYS[form])
    (cm,) = [
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("llm-sidecar-config-")
    ]
    assert cm["data"]["config.yaml"] == CONFIG.read_text(encoding="utf-8")
    (deploy,) = [o for o in objs if o["kind"] == "Deployment"]
    volumes = deploy["spec"]["template"]["spec"]["volumes"]
    assert {"name": cm["metadata"]["name"]} == {
        "name": next(v["configMap"]["name"] for v in volumes if "configMap" in v)
    }


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_keys_reach_only_the_sidecar(form: str) -> None:
    refs = [e["secretRef"]["name"] for e in _sidecar(form)["envFrom"] if "secretRef" in e]
    assert refs == ["llm-provider-keys"]
    app = _app(form)
    assert "envFrom" not in app
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["OPENAI_BASE_URL"] == f"http://127.0.0.1:{SIDECAR_PORT}/v1"


def test_example_secret_is_marked_and_never_applied() -> None:
    path = KUBE / "base" / "secret.example.yaml"
    assert "EXAMPLE ONLY" in path.read_text().splitlines()[0]
    (secret,) = _docs(path)
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "llm-provider-keys"
    for kfile in KUBE.rglob("kustomization.yaml"):
        assert "secret.example.yaml" not in yaml.safe_load(kfile.read_text()).get("resources", [])


# --- metrics and optional components -----------------------------------------------------------


@pytest.mark.parametrize("form", sorted(OVERLAYS))
def test_prometheus_annotations(form: str) -> None:
    annotations = _deployment(form)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(SIDECAR_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_podmonitor_selects_the_sidecar_port() -> None:
    """PodMonitor is a CRD kubernetes-validate has no schema for; check its wiring here."""
    (pm,) = _docs(KUBE / "components" / "podmonitor" / "podmonitor.yaml")
    assert (pm["apiVersion"], pm["kind"]) == ("monitoring.coreos.com/v1", "PodMonitor")
    assert set(pm["spec"]) <= {"selector", "podMetricsEndpoints", "namespaceSelector", "jobLabel"}
    (endpoint,) = pm["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics"
    assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    for form in OVERLAYS:
        labels = _deployment(form)["spec"]["template"]["metadata"]["labels"]
        assert pm["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert endpoint["port"] == _sidecar(form)["ports"][0]["name"]


def test_redis_component_turns_on_the_shared_tier(tmp_path: Path) -> None:
    objs = _render(_with_all_components(tmp_path, OVERLAYS["native"]))
    (env_cm,) = [
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("llm-sidecar-env-")
    ]
    url = env_cm["data"]["SIDECAR_REDIS_URL"]
    (svc,) = [o for o in objs if o["kind"] == "Service"]
    assert url == f"redis://{svc['metadata']['name']}:{svc['spec']['ports'][0]['port']}/0"
    (redis,) = [o for o in objs if o["kind"] == "Deployment" and "redis" in o["metadata"]["name"]]
    image = redis["spec"]["template"]["spec"]["containers"][0]["image"]
    assert re.fullmatch(r"redis:7\.0(\.\d+)?", image)
    (app,) = [o for o in objs if o["kind"] == "Deployment" and o is not redis]
    sidecar = app["spec"]["template"]["spec"]["initContainers"][0]
    assert env_cm["metadata"]["name"] in [
        e["configMapRef"]["name"] for e in sidecar["envFrom"] if "configMapRef" in e
    ]


# --- Dockerfile ----------------------------------------------------------------------------------


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_is_multistage_cpu_torch_and_bakes_the_model() -> None:
    text = _dockerfile()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11[\w.]*-slim[\w-]*$", text, re.M)
    assert text.count("FROM ${PYTHON_IMAGE}") == 2
    assert "ARG TORCH_VERSION=2.13.0" in text
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in text
    assert "python -m cache.onnx_export --out /opt/llm-sidecar/model" in text
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    model = "/opt/llm-sidecar/model"
    assert f"COPY --from=builder {model}/minilm-int8.onnx {model}/" in text
    for line in re.findall(r"^RUN .*pip install.*$", text, re.M):
        assert "--no-cache-dir" in line, line


def test_dockerfile_runtime_is_nonroot_offline_and_readonly_ready() -> None:
    runtime = _dockerfile().split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M), "numeric USER for runAsNonRoot"
    for env in (
        "HF_HUB_OFFLINE=1",
        "TRANSFORMERS_OFFLINE=1",
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUNBUFFERED=1",
        "HOME=/tmp",
        "TMPDIR=/tmp",
        "SIDECAR_MODEL_DIR=/opt/llm-sidecar/model",
    ):
        assert env in runtime, env
    assert re.search(r"^EXPOSE 8080$", runtime, re.M)
    assert re.search(r'^ENTRYPOINT \["python", "-m", "sidecar"\]$', runtime, re.M)
    healthcheck = re.search(r"^HEALTHCHECK .*\n\s+CMD (\[.*\])$", runtime, re.M)
    assert healthcheck and "/healthz" in healthcheck.group(1)
    compile(yaml.safe_load(healthcheck.group(1))[2], "<healthcheck>", "exec")


def test_dockerignore_admits_every_copy_source() -> None:
    """An allow-list .dockerignore must re-include each path the Dockerfile COPYs."""
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for line in re.findall(r"^COPY (?!--from)(.+)$", _dockerfile(), re.M):
        for src in line.split()[:-1]:
            assert src.rstrip("/") in allowed, f"{src} is excluded by .dockerignore"
