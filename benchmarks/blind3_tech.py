"""Third blind suite, infrastructure and engineering (see `blind3_families.py` for the rules).

Kinds of change: a cloud provider, region, machine size or operating system; the group, the
action or the sign-in factor in an access policy; a source format, target format or compression
codec; a log level, environment or service; a git operation on commits or its branch; an
assistive technology, a platform or a UI component; one value in a pasted Kubernetes manifest;
an OBD-II trouble code or the condition under which an engine runs rough.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled
from benchmarks.heldout_families import Slots

CLOUD = pooled(
    "cloud_vm_cost",
    (
        lambda s: (
            f"Estimate the monthly cost of three {s['size']} {s['os']} virtual machines on "
            f"{s['provider']} in the {s['region']} region."
        ),
        lambda s: (
            f"On {s['provider']}, what would three {s['size']} {s['os']} VMs in the "
            f"{s['region']} region cost per month?"
        ),
        lambda s: (
            f"Monthly price estimate: {s['provider']}, {s['region']} region, three {s['size']} "
            f"{s['os']} virtual machines."
        ),
    ),
    {
        "provider": ["AWS", "Azure", "Google Cloud"],
        "region": ["Frankfurt", "Singapore", "São Paulo"],
        "size": ["2-vCPU", "8-vCPU", "32-vCPU"],
        "os": ["Linux", "Windows"],
    },
)
MFA = pooled(
    "access_policy_mfa",
    (
        lambda s: (
            f"Write an access policy that lets {s['group']} {s['action']} files in the invoices "
            f"bucket only after signing in with {s['mfa']}."
        ),
        lambda s: (
            f"I need a policy: {s['group']} may {s['action']} files in the invoices bucket, but "
            f"only once they have signed in with {s['mfa']}."
        ),
        lambda s: (
            f"Allow {s['group']} to {s['action']} files in the invoices bucket, on condition "
            f"that they sign in with {s['mfa']}. Write that policy."
        ),
    ),
    {
        "group": ["auditors", "developers", "contractors", "support agents"],
        "action": ["read", "upload", "delete"],
        "mfa": ["a hardware security key", "an authenticator app", "SMS codes"],
    },
)
CONVERT = pooled(
    "data_format_convert",
    (
        lambda s: (
            f"Write a script that converts the {s['data']} export from {s['src']} to {s['dst']} "
            f"with {s['codec']} compression."
        ),
        lambda s: (
            f"I need a script to turn our {s['data']} export, currently {s['src']}, into "
            f"{s['dst']} files compressed with {s['codec']}."
        ),
        lambda s: (
            f"Script request: {s['data']} export, {s['src']} in, {s['dst']} out, {s['codec']} "
            f"compression."
        ),
    ),
    {
        "data": ["clickstream", "sales", "sensor"],
        "src": ["CSV", "JSON Lines", "Excel"],
        "dst": ["Parquet", "Avro", "ORC"],
        "codec": ["gzip", "Snappy", "zstd"],
    },
    vary_keys=("src", "dst", "codec"),
)
LOG_LEVEL = pooled(
    "log_level",
    (
        lambda s: (
            f"Change the log level of the {s['service']} service to {s['level']} in {s['env']}, "
            f"without a restart."
        ),
        lambda s: (
            f"Without restarting it, set the {s['service']} service's log level in {s['env']} "
            f"to {s['level']}."
        ),
        lambda s: (
            f"How do I switch {s['service']} to {s['level']} logging in {s['env']} with no restart?"
        ),
    ),
    {
        "service": ["payments", "search", "notifications"],
        "level": ["DEBUG", "INFO", "WARNING", "ERROR"],
        "env": ["staging", "production"],
    },
)
GIT = pooled(
    "git_commit_operation",
    (
        lambda s: (
            f"How do I {s['op']} the {s['count']} commits on my {s['branch']} branch before "
            f"opening a pull request?"
        ),
        lambda s: (
            f"Before I open a pull request, how can I {s['op']} the {s['count']} commits on the "
            f"{s['branch']} branch?"
        ),
        lambda s: (
            f"Pull request prep: I want to {s['op']} the {s['count']} commits on {s['branch']}. "
            f"How do I go about it?"
        ),
    ),
    {
        "op": ["squash", "sign", "reorder", "drop"],
        "count": ["last three", "last five"],
        "branch": ["feature/search-filters", "fix/login-timeout", "chore/bump-deps"],
    },
    vary_keys=("op", "branch"),
)
A11Y = pooled(
    "accessibility_aid",
    (
        lambda s: (
            f"How do we make our {s['platform']} {s['component']} work well for people using "
            f"{s['aid']}?"
        ),
        lambda s: (
            f"What changes does our {s['platform']} {s['component']} need so that people who "
            f"rely on {s['aid']} can use it?"
        ),
        lambda s: (
            f"Accessibility review of our {s['platform']} {s['component']}: what matters for "
            f"people who use {s['aid']}?"
        ),
    ),
    {
        "platform": ["web", "iOS", "Android"],
        "component": ["checkout form", "video player", "date picker", "sales chart"],
        "aid": ["screen readers", "keyboard-only navigation", "voice control", "screen magnifiers"],
    },
)


def _manifest(s: Slots) -> str:
    return (
        "```yaml\nkind: Deployment\nspec:\n"
        f"  replicas: {s['replicas']}\n  template:\n    spec:\n      containers:\n"
        "        - name: api\n          image: shop/api:4.2\n"
        f"          imagePullPolicy: {s['pull']}\n          resources:\n"
        f"            limits:\n              memory: {s['memory']}\n```"
    )


MANIFEST = pooled(
    "k8s_manifest_value",
    (
        lambda s: (
            f"Review this deployment and tell me if it is ready for production:\n{_manifest(s)}"
        ),
        lambda s: f"{_manifest(s)}\nIs this deployment ready for production? Please review it.",
        lambda s: f"Production readiness review for the deployment below.\n{_manifest(s)}",
    ),
    {
        "replicas": ["1", "3", "6"],
        "pull": ["Always", "IfNotPresent", "Never"],
        "memory": ["256Mi", "512Mi", "2Gi"],
    },
)
OBD = pooled(
    "obd_trouble_code",
    (
        lambda s: (
            f"My {s['year']} {s['car']} throws code {s['code']} and runs rough {s['when']}. "
            f"What should I check first?"
        ),
        lambda s: (
            f"What should I check first on a {s['year']} {s['car']} that runs rough {s['when']} "
            f"and shows code {s['code']}?"
        ),
        lambda s: (
            f"Diagnostics help: {s['year']} {s['car']}, code {s['code']}, rough running "
            f"{s['when']}. Where do I start?"
        ),
    ),
    {
        "year": ["2012", "2016", "2019"],
        "car": ["Honda Civic", "Ford Focus", "Toyota RAV4"],
        "code": ["P0171", "P0300", "P0420", "P0442"],
        "when": ["on a cold start", "when accelerating uphill", "at idle"],
    },
    vary_keys=("code", "when"),
)

FAMILIES = (CLOUD, MFA, CONVERT, LOG_LEVEL, GIT, A11Y, MANIFEST, OBD)
