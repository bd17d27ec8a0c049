#!/usr/bin/env python3
"""Keeps deploy/ honest without a cluster (ctest -R DeployManifests).

    python3 tests/deploy/check_manifests.py --repo . \\
        --ingest build/bin/ingest-service --reducer build/bin/reducer-service \\
        [--kustomize 'kubectl kustomize']

What it checks, each failure reported as one line naming the file or the
rendered object and what to do:

* Every YAML file under deploy/ parses (multi-document).
* Every kustomization: the files and directories it references exist, it
  uses only the kustomization fields this script can render (others are
  refused, so a new field cannot slip past the checks below), it never lists
  a *.example.yaml, and every manifest under deploy/ is referenced by some
  kustomization (no file that looks deployed but is not).
* Each kustomization is rendered (a small built-in kustomize: resources,
  strategic-merge patches incl. `$patch: delete`, configMapGenerator, images,
  replicas, namespace; --kustomize compares it with the real thing) and the
  result is checked:
  - the binary of each container (from its image) has every `--flag` of its
    args and every ANALYTICS_* variable of its env and of the ConfigMaps it
    reads (per that binary's --helpfull; the binaries ignore unknown
    ANALYTICS_* variables silently), with a value of the flag's type; no
    TEST ONLY flag; --database_url / --admin_token only from a Secret;
  - ANALYTICS_LISTEN is 0.0.0.0:<port> and that port is the container port,
    the gRPC readiness and liveness probes' port and the Services'
    targetPort; Services select only pods that serve (no reduce-only
    worker behind a query Service);
  - every Deployment and Job container has resources (requests <= limits),
    runs as non-root uid 65532 with a read-only root filesystem, no
    privilege escalation and ALL capabilities dropped;
    terminationGracePeriodSeconds exceeds --shutdown_grace plus any preStop
    sleep; the migration Job runs --migrate_only and no Deployment does;
    reducer-worker reduces without serving queries, reducer-query the
    reverse;
  - HPAs target an existing Deployment without `replicas`, on CPU, never a
    reducing one (workers scale on backlog); every Deployment has a PDB;
    selectors do not overlap; referenced ConfigMaps exist and are used;
    no Secret is rendered (the example documents every key read);
    deployable roots (overlays) pin image tags.
* deploy/docker/<binary>.Dockerfile: debian:bookworm-slim stages; the build
  stage installs exactly the build part of scripts/lib.sh ANALYTICS_PACKAGES
  and builds the target (Ninja, Release, BUILD_TESTING=OFF); the runtime
  stage installs exactly the Debian packages owning the libraries the built
  binary links (readelf -d + dpkg -S; skipped with a note for a sanitizer
  build or where those tools are missing), plus tzdata and ca-certificates, runs as USER 65532 with the
  binary as ENTRYPOINT. .dockerignore keeps build/, .local/ and .git/ out.
"""

import argparse
import copy
import os
import re
import shlex
import shutil
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check_manifests.py needs PyYAML: apt-get install python3-yaml "
             "(it is in scripts/lib.sh ANALYTICS_PACKAGES)")

# --- policy ------------------------------------------------------------------

# Non-root user of the images (Dockerfile USER) and of every pod.
RUN_AS_USER = 65532
# Flags whose values are secrets: only from a Secret (secretKeyRef/secretRef).
SECRET_FLAGS = {"database_url", "admin_token"}
# What each reducer Deployment must be.
REDUCER_MODES = {
    "reducer-worker": {"reduce": True, "serve_queries": False},
    "reducer-query": {"reduce": False, "serve_queries": True},
}
# scripts/lib.sh packages the image build stage does not install, and why.
# A package added to ANALYTICS_PACKAGES must go either into both Dockerfiles'
# build stage or in here.
NOT_IN_IMAGE_BUILD = {
    "libgtest-dev": "tests only (BUILD_TESTING=OFF)",
    "libgmock-dev": "tests only (BUILD_TESTING=OFF)",
    "postgresql-15": "local stack and tests",
    "postgresql-client-15": "local stack and tests",
    "postgresql-15-hll": "a server extension (migration 0006), not linked",
    "clang-format": "formatting",
    "python3-yaml": "this check",
    "openssl": "tests make their TLS certificates with it",
    "tzdata": "runtime stage",
    "clang": "fuzz targets only (scripts/fuzz)",
    "libclang-rt-dev": "fuzz targets only (scripts/fuzz)",
    "llvm": "fuzz targets only (llvm-symbolizer)",
}
# In debian:bookworm-slim already; the runtime stage need not install them.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
RUNTIME_EXTRA_PACKAGES = {"tzdata", "ca-certificates"}
# Kustomization fields render() understands.
KUSTOMIZATION_FIELDS = {
    "apiVersion", "kind", "resources", "patches", "images", "replicas",
    "namespace", "configMapGenerator", "generatorOptions",
}
# Kinds the rendered output may contain (each is checked below or harmless).
KNOWN_KINDS = {
    "ConfigMap", "Service", "Deployment", "Job", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "ServiceAccount",
}
# Strategic-merge-patch merge keys of the lists we patch.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name",
    "topologySpreadConstraints": "topologyKey",
}


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")


# --- small parsers -------------------------------------------------------------

DURATION_RE = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|ms|s|m|h))+$")
DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|ms|s|m|h)")
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
BOOL_VALUES = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}


def parse_duration(text):
    """absl::ParseDuration subset -> seconds, or None if not a duration."""
    text = text.strip()
    if text in ("0", "-0", "+0"):
        return 0.0
    if text == "inf":
        return float("inf")
    if not DURATION_RE.match(text):
        return None
    sign = -1 if text.startswith("-") else 1
    return sign * sum(float(n) * DURATION_UNITS[u]
                      for n, u in DURATION_PART_RE.findall(text))


def parse_bool(text):
    return text.strip().lower() in ("true", "t", "yes", "y", "1")


QUANTITY_SUFFIX = {
    "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}


def parse_quantity(value):
    m = re.match(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$", str(value))
    if not m:
        return None
    return float(m.group(1)) * QUANTITY_SUFFIX[m.group(2) or ""]


def value_type_ok(kind, value):
    value = str(value)
    if kind == "bool":
        return value.strip().lower() in BOOL_VALUES
    if kind == "int":
        return re.match(r"^[-+]?\d+$", value.strip()) is not None
    if kind == "duration":
        return parse_duration(value) is not None
    return True


def split_image(image):
    """'reg/a/b:tag@sha256:x' -> ('reg/a/b', 'tag' or None, digest or None)."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    return image, tag, digest


# --- the binaries' flags ------------------------------------------------------

class Flag:
    def __init__(self, name, help_text, default, from_absl):
        self.name = name
        self.help = help_text
        self.default = default
        self.from_absl = from_absl
        d = default.strip()
        if d.startswith('"'):
            self.kind = "string"
        elif d in ("true", "false"):
            self.kind = "bool"
        elif re.match(r"^-?\d+$", d):
            self.kind = "int"
        elif parse_duration(d) is not None:
            self.kind = "duration"
        else:
            self.kind = "string"

    def default_value(self):
        d = self.default.strip()
        if self.kind == "string":
            return d[1:-1] if d.startswith('"') else d
        return d


def parse_helpfull(text):
    """Flags of an Abseil --helpfull listing: {name: Flag}."""
    flags = {}
    section_is_absl = False
    current = None

    def finish(entry):
        if entry is None:
            return
        name, lines, is_absl = entry
        joined = " ".join(line.strip() for line in lines)
        m = re.match(r"^--([A-Za-z0-9_]+) \((.*)\); default: (.*);$", joined)
        if m:
            flags[m.group(1)] = Flag(m.group(1), m.group(2), m.group(3), is_absl)

    for line in text.splitlines():
        section = re.match(r"^\s*Flags from (.*):\s*$", line)
        if section:
            finish(current)
            current = None
            section_is_absl = "absl/" in section.group(1)
            continue
        start = re.match(r"^\s{2,6}--([A-Za-z0-9_]+) \(", line)
        if start:
            finish(current)
            current = (start.group(1), [line], section_is_absl)
        elif current is not None and line.strip():
            current[1].append(line)
        else:
            finish(current)
            current = None
    finish(current)
    return flags


def load_flags(binary, name, problems):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        problems.add(name, f"binary {binary} not found or not executable (build it)")
        return None
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ANALYTICS_") and k != "DATABASE_URL"}
    # --helpfull prints the flags and exits non-zero; that is expected.
    run = subprocess.run([binary, "--helpfull"], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    flags = parse_helpfull(run.stdout + "\n" + run.stderr)
    own = [f for f in flags.values() if not f.from_absl]
    if "listen" not in flags or not own:
        problems.add(name, f"could not read the flags from `{binary} --helpfull` "
                     f"(exit {run.returncode}); output starts: {run.stdout[:300]!r}")
        return None
    return flags


# --- YAML files and kustomizations -----------------------------------------------

def rel(repo, path):
    return os.path.relpath(path, repo)


def load_yaml_files(repo, deploy, problems):
    docs = {}
    for root, _, files in os.walk(deploy):
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, encoding="utf-8") as f:
                    parsed = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                problems.add(rel(repo, path), f"does not parse as YAML: {e}")
                continue
            for i, d in enumerate(parsed):
                if not isinstance(d, dict):
                    problems.add(rel(repo, path), f"document {i + 1} is not a mapping")
            docs[os.path.realpath(path)] = [d for d in parsed if isinstance(d, dict)]
    return docs


def kustomization_file(directory):
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def check_kustomization_refs(repo, kdir, kust, problems, referenced):
    where = rel(repo, kustomization_file(kdir))
    for field in kust:
        if field not in KUSTOMIZATION_FIELDS:
            problems.add(where, f"field `{field}` is not understood by "
                         "tests/deploy/check_manifests.py (render()); teach it "
                         "there before using it, or the checks would not see "
                         "its effect")

    def ref(path_text, what):
        if re.match(r"^[a-z]+://|^github\.com/|^git@", str(path_text)):
            problems.add(where, f"{what} {path_text}: remote references are not "
                         "allowed (not reproducible, not checkable)")
            return None
        path = os.path.realpath(os.path.join(kdir, str(path_text)))
        if not os.path.exists(path):
            problems.add(where, f"{what} {path_text} does not exist")
            return None
        if path.endswith(".example.yaml"):
            problems.add(where, f"{what} {path_text}: example files (real "
                         "secrets' shape) must never be deployed")
        referenced.add(path)
        return path

    for r in kust.get("resources") or []:
        path = ref(r, "resource")
        if path and os.path.isdir(path) and not kustomization_file(path):
            problems.add(where, f"resource {r} is a directory without a kustomization")
    for p in kust.get("patches") or []:
        if not isinstance(p, dict):
            problems.add(where, f"patch {p!r} must be a mapping with path or patch")
            continue
        if "target" in p:
            problems.add(where, "patch with `target` is not understood by "
                         "check_manifests.py; name the object in the patch instead")
        if "path" in p:
            ref(p["path"], "patch")
        elif "patch" not in p:
            problems.add(where, f"patch {p!r} has neither path nor patch")
    for g in kust.get("configMapGenerator") or []:
        for e in g.get("envs") or []:
            ref(e, "configMapGenerator env file")
        for f in g.get("files") or []:
            ref(str(f).split("=", 1)[-1], "configMapGenerator file")


# --- rendering (a small kustomize) ----------------------------------------------------

def obj_id(obj):
    return (obj.get("kind"), (obj.get("metadata") or {}).get("name"))


def smp_merge(base, patch, field=None):
    """Strategic merge patch for the subset of Kubernetes types we use."""
    if isinstance(patch, dict) and isinstance(base, dict):
        if patch.get("$patch") == "replace":
            out = copy.deepcopy(patch)
            out.pop("$patch")
            return out
        out = dict(base)
        for key, value in patch.items():
            if key == "$patch":
                continue
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = smp_merge(out[key], value, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(patch, list) and isinstance(base, list):
        key = MERGE_KEYS.get(field)
        if field == "ports" and all(isinstance(i, dict) for i in base + patch):
            key = ("containerPort" if any("containerPort" in i for i in base + patch)
                   else "port")
        if key is None or not all(isinstance(i, dict) for i in base + patch):
            return copy.deepcopy(patch)
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            idx = next((n for n, b in enumerate(out) if b.get(key) == item.get(key)),
                       None)
            if item.get("$patch") == "delete":
                if idx is not None:
                    del out[idx]
            elif idx is None:
                out.append(copy.deepcopy(item))
            else:
                out[idx] = smp_merge(out[idx], item, None)
        return out
    return copy.deepcopy(patch)


def pod_specs(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") in ("Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet"):
        pod = (spec.get("template") or {}).get("spec")
        return [pod] if pod else []
    if obj.get("kind") == "CronJob":
        pod = (((spec.get("jobTemplate") or {}).get("spec") or {})
               .get("template") or {}).get("spec")
        return [pod] if pod else []
    if obj.get("kind") == "Pod":
        return [spec]
    return []


def read_env_file(path):
    data = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                data[k] = v
    return data


def render(repo, kdir, docs, problems, stack=()):
    """Objects of kustomization `kdir`, or None if it cannot be rendered."""
    kfile = kustomization_file(kdir)
    where = rel(repo, kfile)
    if kdir in stack:
        problems.add(where, "resources form a cycle")
        return None
    kust = (docs.get(os.path.realpath(kfile)) or [{}])[0]
    objects = []
    for r in kust.get("resources") or []:
        path = os.path.realpath(os.path.join(kdir, str(r)))
        if os.path.isdir(path) and kustomization_file(path):
            sub = render(repo, path, docs, problems, stack + (kdir,))
            if sub is None:
                return None
            objects.extend(sub)
        elif os.path.isfile(path):
            objects.extend(copy.deepcopy(docs.get(path, [])))
        else:
            return None  # reported by check_kustomization_refs

    options = kust.get("generatorOptions") or {}
    for g in kust.get("configMapGenerator") or []:
        data = {}
        for lit in g.get("literals") or []:
            if "=" not in str(lit):
                problems.add(where, f"configMapGenerator literal {lit!r} is not KEY=VALUE")
                continue
            k, v = str(lit).split("=", 1)
            data[k] = v
        for e in g.get("envs") or []:
            path = os.path.join(kdir, e)
            if os.path.isfile(path):
                data.update(read_env_file(path))
        for f in g.get("files") or []:
            key, _, path = str(f).rpartition("=")
            path = os.path.join(kdir, path)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    data[key or os.path.basename(path)] = fh.read()
        behavior = g.get("behavior", "create")
        name = g.get("name")
        existing = next((o for o in objects if obj_id(o) == ("ConfigMap", name)), None)
        labels = dict(options.get("labels") or {})
        labels.update((g.get("options") or {}).get("labels") or {})
        if behavior == "create":
            if existing is not None:
                problems.add(where, f"configMapGenerator {name} exists already; "
                             "use behavior: merge or replace")
                continue
            cm = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": name}, "data": data}
            if labels:
                cm["metadata"]["labels"] = labels
            objects.append(cm)
        elif behavior in ("merge", "replace"):
            if existing is None:
                problems.add(where, f"configMapGenerator {name} (behavior "
                             f"{behavior}) has no ConfigMap {name} to {behavior}")
                continue
            if behavior == "merge":
                existing.setdefault("data", {}).update(data)
            else:
                existing["data"] = data
            if labels:
                existing["metadata"].setdefault("labels", {}).update(labels)
        else:
            problems.add(where, f"configMapGenerator {name}: unknown behavior {behavior}")

    for p in kust.get("patches") or []:
        if not isinstance(p, dict) or "target" in p:
            continue  # reported by check_kustomization_refs
        if "path" in p:
            ppath = os.path.realpath(os.path.join(kdir, p["path"]))
            pdocs = docs.get(ppath, [])
            pwhere = rel(repo, ppath)
        else:
            try:
                pdocs = [d for d in yaml.safe_load_all(p.get("patch") or "") if d]
            except yaml.YAMLError as e:
                problems.add(where, f"inline patch does not parse: {e}")
                continue
            pwhere = where + " (inline patch)"
        for pd in pdocs:
            target = obj_id(pd)
            if None in target:
                problems.add(pwhere, "a patch needs kind and metadata.name")
                continue
            idx = next((n for n, o in enumerate(objects) if obj_id(o) == target), None)
            if idx is None:
                problems.add(pwhere, f"patch target {target[0]}/{target[1]} is not "
                             "among the resources")
                continue
            if pd.get("$patch") == "delete":
                del objects[idx]
            else:
                objects[idx] = smp_merge(objects[idx], pd)

    namespace = kust.get("namespace")
    if namespace:
        for o in objects:
            if o.get("kind") not in ("Namespace", "ClusterRole", "ClusterRoleBinding",
                                     "CustomResourceDefinition", "PriorityClass"):
                o.setdefault("metadata", {})["namespace"] = namespace

    for entry in kust.get("replicas") or []:
        hits = [o for o in objects if (o.get("metadata") or {}).get("name") == entry.get("name")
                and o.get("kind") in ("Deployment", "StatefulSet", "ReplicaSet")]
        if not hits:
            problems.add(where, f"replicas: nothing named {entry.get('name')}")
        for o in hits:
            o.setdefault("spec", {})["replicas"] = entry.get("count")

    for entry in kust.get("images") or []:
        matched = False
        for o in objects:
            for pod in pod_specs(o):
                for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                    name, tag, digest = split_image(str(c.get("image", "")))
                    if name != entry.get("name"):
                        continue
                    matched = True
                    name = entry.get("newName", name)
                    tag = entry.get("newTag", tag)
                    digest = entry.get("digest", digest)
                    c["image"] = (name + (f":{tag}" if tag else "")
                                  + (f"@{digest}" if digest else ""))
        if not matched:
            problems.add(where, f"images: no container uses {entry.get('name')}")
    return objects


# --- checks of a rendered kustomization ------------------------------------------------

def labels_match(selector, labels):
    return bool(selector) and all((labels or {}).get(k) == v for k, v in selector.items())


class Container:
    """A container of one of our binaries, with its effective flag values."""

    def __init__(self, workload, pod, spec, binary):
        self.workload = workload
        self.pod = pod
        self.spec = spec
        self.binary = binary
        self.values = {}    # flag -> effective value (string)
        self.sources = {}   # flag -> where the value came from
        self.listen_port = None


def check_root(repo, kdir, objects, flags_by_binary, example_secrets, deployable,
               problems):
    root = rel(repo, kdir)
    by_id = {}
    for o in objects:
        oid = obj_id(o)
        if oid in by_id:
            problems.add(root, f"{oid[0]}/{oid[1]} is defined twice")
        by_id[oid] = o
        if o.get("kind") == "Secret":
            problems.add(root, f"renders Secret/{oid[1]}: secrets never go into git; "
                         "create them out of band (see base/secret.example.yaml)")
        elif o.get("kind") not in KNOWN_KINDS:
            problems.add(root, f"{oid[0]}/{oid[1]}: kind not checked by "
                         "check_manifests.py; extend it")

    configmaps = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "ConfigMap"}
    used_configmaps = set()
    workloads = [o for o in objects if o.get("kind") in ("Deployment", "Job")]
    containers = []

    for w in workloads:
        wname = f"{root}: {w['kind']}/{w['metadata']['name']}"
        pod = pod_specs(w)[0] if pod_specs(w) else {}
        if not pod.get("containers"):
            problems.add(wname, "has no containers")
            continue
        for c in pod["containers"]:
            where = f"{wname} container {c.get('name')}"
            image_name, tag, digest = split_image(str(c.get("image", "")))
            binary = image_name.rsplit("/", 1)[-1]
            if binary not in flags_by_binary:
                problems.add(where, f"image {c.get('image')} is not one of "
                             f"{sorted(flags_by_binary)}; the checker cannot verify it")
                continue
            if deployable and (not tag or tag == "latest") and not digest:
                problems.add(where, f"image {c.get('image')}: pin a tag (overlay "
                             "images:), never :latest")
            if c.get("command") not in (None, [f"/usr/local/bin/{binary}"]):
                problems.add(where, f"command {c.get('command')} overrides the image's "
                             f"ENTRYPOINT /usr/local/bin/{binary}; use args")
            flags = flags_by_binary[binary]
            if flags is None:
                continue
            cont = Container(w, pod, c, binary)
            check_container_config(where, cont, flags, configmaps, used_configmaps,
                                   example_secrets, problems)
            check_container_runtime(where, cont, problems)
            containers.append(cont)

    secret_vars = {"DATABASE_URL"} | {f"ANALYTICS_{f.upper()}" for f in SECRET_FLAGS}
    for name, cm in configmaps.items():
        if name not in used_configmaps:
            problems.add(f"{root}: ConfigMap/{name}", "no container reads it")
        for key in sorted(set(cm.get("data") or {}) & secret_vars):
            problems.add(f"{root}: ConfigMap/{name}", f"{key} is a secret: it "
                         "belongs in the Secret analytics-secrets, not in git")

    check_services(root, objects, containers, problems)
    check_scaling(root, objects, workloads, containers, problems)


def check_container_config(where, cont, flags, configmaps, used_configmaps,
                           example_secrets, problems):
    c = cont.spec
    own = {n: f for n, f in flags.items() if not f.from_absl}
    env = {}  # name -> (value or None, source description, from_secret)

    for ef in c.get("envFrom") or []:
        if ef.get("prefix"):
            problems.add(where, "envFrom prefix is not supported by the checker")
        if "configMapRef" in ef:
            name = ef["configMapRef"].get("name")
            cm = configmaps.get(name)
            if cm is None:
                problems.add(where, f"envFrom ConfigMap {name} is not defined")
                continue
            used_configmaps.add(name)
            for k, v in (cm.get("data") or {}).items():
                if not k.startswith("ANALYTICS_"):
                    problems.add(where, f"ConfigMap {name} key {k} (envFrom) is no "
                                 "ANALYTICS_<FLAG> variable, so it sets no flag")
                env[k] = (str(v), f"ConfigMap {name}", False)
        elif "secretRef" in ef:
            name = ef["secretRef"].get("name")
            keys = example_secrets.get(name)
            if keys is None:
                problems.add(where, f"envFrom Secret {name}: no *.example.yaml "
                             "documents it")
                continue
            for k in keys:
                env[k] = (None, f"Secret {name}", True)
    for e in c.get("env") or []:
        name = e.get("name")
        if "value" in e:
            env[name] = (str(e["value"]), "env value", False)
        elif "valueFrom" in e:
            vf = e["valueFrom"]
            if "secretKeyRef" in vf:
                ref = vf["secretKeyRef"]
                keys = example_secrets.get(ref.get("name"))
                if keys is None:
                    problems.add(where, f"env {name}: Secret {ref.get('name')} is "
                                 "not documented by a *.example.yaml")
                elif ref.get("key") not in keys:
                    problems.add(where, f"env {name}: key {ref.get('key')} is missing "
                                 f"from the example of Secret {ref.get('name')}")
                env[name] = (None, f"Secret {ref.get('name')}", True)
            elif "configMapKeyRef" in vf:
                ref = vf["configMapKeyRef"]
                cm = configmaps.get(ref.get("name"))
                if cm is None or ref.get("key") not in (cm.get("data") or {}):
                    problems.add(where, f"env {name}: ConfigMap {ref.get('name')} "
                                 f"has no key {ref.get('key')}")
                    env[name] = (None, f"ConfigMap {ref.get('name')}", False)
                else:
                    used_configmaps.add(ref.get("name"))
                    env[name] = (str(cm["data"][ref.get("key")]),
                                 f"ConfigMap {ref.get('name')}", False)
            else:
                env[name] = (None, "env valueFrom", False)
        else:
            env[name] = ("", "env value", False)

    # Defaults, then the environment, then the command line (it wins).
    for n, f in own.items():
        cont.values[n] = f.default_value()
        cont.sources[n] = "default"
    env_flags = {}
    for name, (value, source, secret) in env.items():
        if name == "DATABASE_URL":
            flag = "database_url"
            if "ANALYTICS_DATABASE_URL" in env:
                continue
        elif name.startswith("ANALYTICS_"):
            flag = name[len("ANALYTICS_"):].lower()
            if flag not in own or name != "ANALYTICS_" + flag.upper():
                problems.add(where, f"{name} ({source}) is not a flag of "
                             f"{cont.binary}: it has no --{flag} (the binary "
                             "ignores unknown ANALYTICS_* variables silently); "
                             f"its flags: {', '.join(sorted(own))}")
                continue
        else:
            continue
        env_flags[flag] = (value, source, secret, name)
        cont.values[flag] = value
        cont.sources[flag] = f"{name} ({source})"

    arg_flags = {}
    for arg in c.get("args") or []:
        arg = str(arg)
        m = re.match(r"^--([A-Za-z0-9_-]+)(?:=(.*))?$", arg, re.S)
        if not m:
            problems.add(where, f"argument {arg!r}: expected --flag or --flag=value "
                         "(the services take no positional arguments)")
            continue
        name, value = m.group(1), m.group(2)
        if name not in flags and name.startswith("no") and name[2:] in flags \
                and flags[name[2:]].kind == "bool" and value is None:
            name, value = name[2:], "false"
        if name not in flags:
            problems.add(where, f"argument --{name} is not a flag of {cont.binary} "
                         f"(per --helpfull); its flags: {', '.join(sorted(own))}")
            continue
        if flags[name].from_absl:
            problems.add(where, f"argument --{name} is an Abseil flag; settings "
                         "must be visible here, not loaded from elsewhere")
            continue
        if value is None:
            if flags[name].kind != "bool":
                problems.add(where, f"argument --{name} needs =value "
                             "(write --name=value)")
                continue
            value = "true"
        arg_flags[name] = value
        cont.values[name] = value
        cont.sources[name] = f"argument --{name}"

    for flag, (value, source, secret, var) in env_flags.items():
        check_value(where, cont, flags[flag], var + f" ({source})", value, secret, problems)
    for flag, value in arg_flags.items():
        check_value(where, cont, flags[flag], f"argument --{flag}", value, False, problems)

    # Listen address: ANALYTICS_LISTEN, literal, 0.0.0.0:<port>.
    listen = env.get("ANALYTICS_LISTEN")
    if "listen" in arg_flags:
        problems.add(where, "set the listen address with env ANALYTICS_LISTEN "
                     "(next to the containerPort), not --listen")
    if cont.workload["kind"] != "Job" or listen is not None:
        if listen is None or listen[1] != "env value":
            problems.add(where, "env ANALYTICS_LISTEN must be set (a literal "
                         "value, next to containerPort) to 0.0.0.0:<port>; the "
                         f"default {flags['listen'].default} is unreachable from "
                         "outside the pod")
        else:
            m = re.match(r"^(?:0\.0\.0\.0|\[::\]):(\d+)$", listen[0])
            if not m:
                problems.add(where, f"ANALYTICS_LISTEN={listen[0]}: must be "
                             "0.0.0.0:<port> in a container")
            else:
                cont.listen_port = int(m.group(1))


def check_value(where, cont, flag, source, value, from_secret, problems):
    if "TEST ONLY" in flag.help:
        problems.add(where, f"{source}: --{flag.name} is a TEST ONLY flag; never "
                     "set it in a deployment")
    if flag.name in SECRET_FLAGS and not from_secret:
        problems.add(where, f"{source}: --{flag.name} is a secret; take it from "
                     "the Secret (secretKeyRef), never a literal, ConfigMap or argument")
    if value is not None and not value_type_ok(flag.kind, value):
        problems.add(where, f"{source} = {value!r} is not a valid {flag.kind} for "
                     f"--{flag.name} (default {flag.default})")


def prestop_seconds(c):
    pre = ((c.get("lifecycle") or {}).get("preStop") or {})
    if "sleep" in pre:
        return float((pre["sleep"] or {}).get("seconds", 0))
    cmd = (pre.get("exec") or {}).get("command") or []
    if cmd and os.path.basename(str(cmd[0])) == "sleep" and len(cmd) == 2:
        text = str(cmd[1])
        return parse_duration(text + "s" if text.isdigit() else text) or 0.0
    return 0.0


def check_container_runtime(where, cont, problems):
    c, pod, w = cont.spec, cont.pod, cont.workload
    kind = w["kind"]
    values = cont.values

    # What the process does.
    migrate_only = parse_bool(values.get("migrate_only", "false"))
    if kind == "Job" and not migrate_only:
        problems.add(where, "a Job of ours must run --migrate_only (it would "
                     "otherwise serve forever and never complete)")
    if kind == "Deployment" and migrate_only:
        problems.add(where, f"--migrate_only ({cont.sources.get('migrate_only')}) "
                     "in a Deployment: the process would exit and crash-loop")
    if cont.binary == "reducer-service" and kind == "Deployment":
        reduce = parse_bool(values.get("reduce", "true"))
        serve = parse_bool(values.get("serve_queries", "true"))
        if not reduce and not serve:
            problems.add(where, "--reduce=false and --serve_queries=false: nothing to do")
        expected = REDUCER_MODES.get(w["metadata"]["name"])
        if expected and (reduce, serve) != (expected["reduce"], expected["serve_queries"]):
            problems.add(where, f"must run --reduce={str(expected['reduce']).lower()} "
                         f"--serve_queries={str(expected['serve_queries']).lower()}, "
                         f"runs --reduce={str(reduce).lower()} "
                         f"--serve_queries={str(serve).lower()}")

    # Ports and probes.
    ports = c.get("ports") or []
    if kind == "Deployment":
        port = cont.listen_port
        if port is not None:
            if not any(p.get("containerPort") == port for p in ports):
                problems.add(where, f"no containerPort {port} for ANALYTICS_LISTEN")
            metrics_port = values.get("metrics_port")
            for p in ports:
                cp = p.get("containerPort")
                if p.get("name") == "metrics":
                    # The Prometheus endpoint: --metrics_port must say the same.
                    if str(cp) != str(metrics_port):
                        problems.add(where, f"containerPort metrics {cp} is not "
                                     f"--metrics_port ({metrics_port})")
                elif cp != port:
                    problems.add(where, f"containerPort {cp} is "
                                 f"not the listen port {port}")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            spec = c.get(probe)
            if spec is None:
                if probe != "startupProbe":
                    problems.add(where, f"no {probe} (use a native gRPC probe: "
                                 "grpc: {port: <listen port>})")
                continue
            if "grpc" not in spec:
                problems.add(where, f"{probe} must be a native gRPC probe "
                             "(grpc.health.v1), not "
                             f"{[k for k in spec if k in ('httpGet', 'tcpSocket', 'exec')]}")
                continue
            pport = (spec.get("grpc") or {}).get("port")
            if port is not None and pport != port:
                problems.add(where, f"{probe} gRPC port {pport} is not the listen "
                             f"port {port}")

    # Resources.
    res = c.get("resources") or {}
    for part in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if (res.get(part) or {}).get(r) is None:
                problems.add(where, f"resources.{part}.{r} is missing")
    for r in ("cpu", "memory"):
        req = parse_quantity((res.get("requests") or {}).get(r, ""))
        lim = parse_quantity((res.get("limits") or {}).get(r, ""))
        if req is not None and lim is not None and req > lim:
            problems.add(where, f"resources.requests.{r} exceeds the limit")

    # Security.
    psc = pod.get("securityContext") or {}
    csc = c.get("securityContext") or {}

    def eff(key):
        return csc.get(key, psc.get(key))

    if eff("runAsNonRoot") is not True:
        problems.add(where, "securityContext.runAsNonRoot must be true")
    if eff("runAsUser") != RUN_AS_USER:
        problems.add(where, f"securityContext.runAsUser must be {RUN_AS_USER} "
                     f"(the image's USER), is {eff('runAsUser')}")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.add(where, "securityContext.readOnlyRootFilesystem must be true")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.add(where, "securityContext.allowPrivilegeEscalation must be false")
    if csc.get("privileged"):
        problems.add(where, "securityContext.privileged must not be set")
    drop = ((csc.get("capabilities") or {}).get("drop")) or []
    if "ALL" not in drop:
        problems.add(where, "securityContext.capabilities.drop must contain ALL")
    if (csc.get("capabilities") or {}).get("add"):
        problems.add(where, "securityContext.capabilities.add must be empty")
    if pod.get("automountServiceAccountToken") is not False:
        problems.add(where, "automountServiceAccountToken must be false (the "
                     "services never call the Kubernetes API)")

    # Graceful stop: the kubelet's SIGKILL must come after ours.
    grace = parse_duration(str(cont.values.get("shutdown_grace", "8s"))) or 0.0
    tgps = pod.get("terminationGracePeriodSeconds")
    if kind == "Deployment" and tgps is None:
        problems.add(where, "set terminationGracePeriodSeconds (above "
                     "--shutdown_grace plus the preStop sleep)")
    tgps = 30 if tgps is None else tgps
    pre = prestop_seconds(c)
    if kind == "Deployment" and not tgps > grace + pre:
        problems.add(where, f"terminationGracePeriodSeconds {tgps} must exceed "
                     f"--shutdown_grace {grace:g}s "
                     f"({cont.sources.get('shutdown_grace')}) + preStop {pre:g}s")


def check_services(root, objects, containers, problems):
    deployments = [c for c in containers if c.workload["kind"] == "Deployment"]
    for svc in (o for o in objects if o.get("kind") == "Service"):
        where = f"{root}: Service/{svc['metadata']['name']}"
        selector = (svc.get("spec") or {}).get("selector") or {}
        targets = [c for c in deployments if labels_match(
            selector, ((c.workload["spec"].get("template") or {}).get("metadata") or {})
            .get("labels"))]
        if not targets:
            problems.add(where, f"selector {selector} matches no Deployment's pods")
            continue
        for c in targets:
            cwhere = f"{c.workload['metadata']['name']}/{c.spec.get('name')}"
            if c.binary == "reducer-service" and not parse_bool(
                    c.values.get("serve_queries", "true")):
                problems.add(where, f"selects {cwhere}, which does not serve "
                             "QueryService (--serve_queries=false)")
            for p in (svc.get("spec") or {}).get("ports") or []:
                tp = p.get("targetPort", p.get("port"))
                cport = next((cp for cp in c.spec.get("ports") or []
                              if cp.get("name") == tp or cp.get("containerPort") == tp),
                             None)
                if cport is None:
                    problems.add(where, f"targetPort {tp} is not a port of {cwhere}")
                    continue
                if c.listen_port is not None and cport.get("containerPort") != c.listen_port:
                    problems.add(where, f"targetPort {tp} is {cport.get('containerPort')}"
                                 f", but {cwhere} listens on {c.listen_port}")
                if p.get("port") != cport.get("containerPort"):
                    problems.add(where, f"port {p.get('port')} differs from the "
                                 f"container port {cport.get('containerPort')} "
                                 "(clients and analyticsctl assume the same number)")


def check_scaling(root, objects, workloads, containers, problems):
    deployments = {o["metadata"]["name"]: o for o in workloads
                   if o["kind"] == "Deployment"}
    templates = {o["metadata"]["name"]: ((o["spec"].get("template") or {})
                                         .get("metadata") or {}).get("labels") or {}
                 for o in workloads}
    # Selectors: each Deployment's matches its own pods and nobody else's.
    for name, d in deployments.items():
        sel = ((d["spec"].get("selector") or {}).get("matchLabels")) or {}
        where = f"{root}: Deployment/{name}"
        if not labels_match(sel, templates[name]):
            problems.add(where, "spec.selector does not match its pod template labels")
        for other, labels in templates.items():
            if other != name and labels_match(sel, labels):
                problems.add(where, f"selector {sel} also matches the pods of {other}")

    hpas = [o for o in objects if o.get("kind") == "HorizontalPodAutoscaler"]
    for h in hpas:
        where = f"{root}: HorizontalPodAutoscaler/{h['metadata']['name']}"
        spec = h.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        target = deployments.get(ref.get("name")) if ref.get("kind") == "Deployment" else None
        if target is None:
            problems.add(where, f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} "
                         "is not a Deployment here")
            continue
        lo, hi = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if not isinstance(hi, int) or not isinstance(lo, int) or not 1 <= lo <= hi:
            problems.add(where, f"needs 1 <= minReplicas ({lo}) <= maxReplicas ({hi})")
        cpu = [m for m in spec.get("metrics") or []
               if m.get("type") == "Resource"
               and (m.get("resource") or {}).get("name") == "cpu"]
        if not cpu:
            problems.add(where, "should scale on CPU (a Resource metric cpu)")
        if "replicas" in target["spec"]:
            problems.add(where, f"Deployment/{ref.get('name')} sets replicas; with "
                         "an HPA every apply would reset the count: drop it")
        for c in containers:
            if c.workload is not target:
                continue
            if cpu and not ((c.spec.get("resources") or {}).get("requests") or {}).get("cpu"):
                problems.add(where, f"container {c.spec.get('name')} has no CPU request "
                             "(CPU utilization is relative to it)")
            if c.binary == "reducer-service" and parse_bool(c.values.get("reduce", "true")):
                problems.add(where, "targets reducer workers: scale them on the "
                             "backlog, not CPU (docs/scaling.md)")

    pdbs = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    for name, d in deployments.items():
        labels = templates[name]
        covering = [p for p in pdbs if labels_match(
            ((p.get("spec") or {}).get("selector") or {}).get("matchLabels"), labels)]
        where = f"{root}: Deployment/{name}"
        if len(covering) != 1:
            problems.add(where, f"needs exactly one PodDisruptionBudget, has "
                         f"{len(covering)}")
            continue
        pspec = covering[0].get("spec") or {}
        if "minAvailable" not in pspec and "maxUnavailable" not in pspec:
            problems.add(where, "its PodDisruptionBudget sets neither minAvailable "
                         "nor maxUnavailable")
        hpa = next((h for h in hpas if (h["spec"].get("scaleTargetRef") or {})
                    .get("name") == name), None)
        replicas = (hpa["spec"].get("minReplicas", 1) if hpa
                    else d["spec"].get("replicas", 1))
        if isinstance(pspec.get("minAvailable"), int) and pspec["minAvailable"] >= replicas:
            problems.add(where, f"PodDisruptionBudget minAvailable "
                         f"{pspec['minAvailable']} with {replicas} replica(s) blocks "
                         "every node drain")
    for p in pdbs:
        sel = ((p.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if not any(labels_match(sel, templates[n]) for n in deployments):
            problems.add(f"{root}: PodDisruptionBudget/{p['metadata']['name']}",
                         f"selector {sel} matches no Deployment's pods")


# --- Dockerfiles ---------------------------------------------------------------------

def lib_packages(repo, problems):
    path = os.path.join(repo, "scripts", "lib.sh")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        problems.add("scripts/lib.sh", f"cannot read: {e}")
        return None
    m = re.search(r"^ANALYTICS_PACKAGES=\((.*?)^\)", text, re.S | re.M)
    if not m:
        problems.add("scripts/lib.sh", "no ANALYTICS_PACKAGES=( ... ) list found")
        return None
    words = []
    for line in m.group(1).splitlines():
        words.extend(line.split("#", 1)[0].split())
    return set(words)


def dockerfile_stages(path):
    """[(from_line, name, [(instruction, text)])] of a Dockerfile."""
    with open(path, encoding="utf-8") as f:
        raw = f.read().splitlines()
    lines, buf = [], ""
    for line in raw:
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        lines.append(buf + stripped)
        buf = ""
    if buf:
        lines.append(buf)
    stages = []
    for line in lines:
        instr, _, rest = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.match(r"^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.I)
            stages.append((m.group(1), m.group(2), []))
        elif stages:
            stages[-1][2].append((instr, rest.strip()))
    return stages


def apt_packages(run_text):
    pkgs = set()
    for m in re.finditer(r"apt-get\s+install\s+(.*?)(?:&&|;|$)", run_text):
        pkgs.update(t for t in m.group(1).split() if not t.startswith("-"))
    return pkgs


def needed_packages(binary, problems, where):
    """Debian packages owning the binary's NEEDED libraries, or None."""
    ldconfig = shutil.which("ldconfig") or (
        "/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if not (shutil.which("readelf") and shutil.which("dpkg") and ldconfig):
        print(f"note: {where}: readelf/dpkg/ldconfig missing; runtime packages "
              "not checked against the binary")
        return None
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                         check=False).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)
    if any(re.match(r"^lib(asan|ubsan|tsan|lsan)\.so", lib) for lib in needed):
        # scripts/test ANALYTICS_SANITIZE: linked differently (without
        # --as-needed) from the image's plain Release build.
        print(f"note: {where}: {binary} is a sanitizer build; runtime packages "
              "not checked against it")
        return None
    cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True,
                           check=False).stdout
    paths = {}
    # "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1"; the
    # 64-bit entry first where a library also exists for another ABI.
    entries = [m.groups() for m in
               re.finditer(r"^\s*(\S+) \((.*?)\) => (\S+)$", cache, re.M)]
    for lib, abi, lpath in sorted(entries, key=lambda e: "64" not in e[1]):
        paths.setdefault(lib, lpath)
    def usrmerge(path):
        # /lib is /usr/lib on disk; dpkg knows the file under one of them.
        if path.startswith("/usr/lib/"):
            return path[len("/usr"):]
        return "/usr" + path if path.startswith("/lib/") else path

    wanted = {}
    for lib in needed:
        path = paths.get(lib)
        if path is None:
            problems.add(where, f"{binary} needs {lib}, not in the ldconfig cache")
            continue
        real = os.path.realpath(path)
        wanted[lib] = [real, usrmerge(real), path, usrmerge(path)]
    # One dpkg -S for all ("pkg:arch: /path" lines; missing ones go to stderr).
    query = sorted({p for ps in wanted.values() for p in ps})
    out = subprocess.run(["dpkg", "-S"] + query, capture_output=True, text=True,
                         check=False).stdout if query else ""
    owner_of = {}
    for line in out.splitlines():
        pkgs, _, fpath = line.rpartition(": ")
        owner_of[fpath.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    owners = {}
    for lib, candidates in wanted.items():
        pkg = next((owner_of[c] for c in candidates if c in owner_of), None)
        if pkg is None:
            problems.add(where, f"no Debian package owns {lib} ({candidates[2]}); "
                         "the image cannot install it")
            continue
        owners.setdefault(pkg, []).append(lib)
    return owners


def check_dockerfile(repo, binary_name, binary_path, lib_pkgs, problems):
    path = os.path.join(repo, "deploy", "docker", f"{binary_name}.Dockerfile")
    where = rel(repo, path)
    if not os.path.isfile(path):
        problems.add(where, "missing (the manifests use an image of this binary)")
        return
    stages = dockerfile_stages(path)
    if len(stages) < 2:
        problems.add(where, "needs a build stage and a runtime stage")
        return
    for image, name, _ in stages:
        if image != "debian:bookworm-slim":
            problems.add(where, f"stage {name or image}: FROM {image}, expected "
                         "debian:bookworm-slim (Debian 12 like the dev machines)")
    build_name, build = stages[0][1], stages[0][2]
    runtime = stages[-1][2]
    build_runs = " && ".join(t for i, t in build if i == "RUN")
    runtime_runs = " && ".join(t for i, t in runtime if i == "RUN")

    if lib_pkgs is not None:
        expected = lib_pkgs - set(NOT_IN_IMAGE_BUILD)
        got = apt_packages(build_runs)
        for p in sorted(expected - got):
            problems.add(where, f"build stage does not install {p}, which "
                         "scripts/lib.sh ANALYTICS_PACKAGES has (add it here, or "
                         "to NOT_IN_IMAGE_BUILD in check_manifests.py with a reason)")
        for p in sorted(got - expected):
            problems.add(where, f"build stage installs {p}, which is not in the "
                         "build part of scripts/lib.sh ANALYTICS_PACKAGES")
    for needle, what in ((r"-G\s*Ninja", "-G Ninja"),
                         (r"-DCMAKE_BUILD_TYPE=Release\b", "-DCMAKE_BUILD_TYPE=Release"),
                         (r"-DBUILD_TESTING=OFF\b", "-DBUILD_TESTING=OFF"),
                         (rf"--target\s+{re.escape(binary_name)}\b",
                          f"cmake --build ... --target {binary_name}")):
        if not re.search(needle, build_runs):
            problems.add(where, f"build stage: no {what}")

    got = apt_packages(runtime_runs)
    for p in sorted(RUNTIME_EXTRA_PACKAGES - got):
        problems.add(where, f"runtime stage does not install {p}")
    for p in sorted(got):
        if p.endswith("-dev") or p in ("build-essential", "cmake", "ninja-build",
                                       "g++", "ccache", "pkg-config"):
            problems.add(where, f"runtime stage installs the build package {p}")
    owners = needed_packages(binary_path, problems, where)
    if owners is not None:
        for pkg, libs in sorted(owners.items()):
            if pkg not in got and pkg not in BASE_IMAGE_PACKAGES:
                problems.add(where, f"runtime stage lacks {pkg} (for {', '.join(libs)} "
                             f"that {binary_name} links)")
        for p in sorted(got - set(owners) - RUNTIME_EXTRA_PACKAGES):
            problems.add(where, f"runtime stage installs {p}, which owns no library "
                         f"{binary_name} links (readelf -d)")

    copies = [t for i, t in runtime if i == "COPY"]
    want = f"/usr/local/bin/{binary_name}"
    if not any(re.search(rf"--from={re.escape(build_name or '0')}\s+\S*build/bin/"
                         rf"{re.escape(binary_name)}\s+{re.escape(want)}$", t)
               for t in copies):
        problems.add(where, f"runtime stage must COPY --from={build_name} "
                     f".../build/bin/{binary_name} {want}")
    users = [t for i, t in runtime if i == "USER"]
    if not users or users[-1].split(":")[0] != str(RUN_AS_USER):
        problems.add(where, f"runtime stage must end as USER {RUN_AS_USER}")
    entry = [t for i, t in runtime if i == "ENTRYPOINT"]
    if not entry or entry[-1] != f'["{want}"]':
        problems.add(where, f'ENTRYPOINT must be ["{want}"] (exec form; the '
                     "manifests pass flags as args)")


def check_dockerignore(repo, problems):
    path = os.path.join(repo, ".dockerignore")
    try:
        with open(path, encoding="utf-8") as f:
            lines = {line.strip().rstrip("/") for line in f}
    except OSError:
        problems.add(".dockerignore", "missing")
        return
    for entry in ("build", ".local", ".git"):
        if entry not in lines:
            problems.add(".dockerignore", f"does not exclude {entry}/")


# --- comparison with real kustomize -------------------------------------------------

def normalize_hashes(objects, generated):
    """Strips kustomize's ConfigMap name hashes, so outputs compare."""
    rename = {}
    for o in objects:
        if o.get("kind") == "ConfigMap":
            name = o["metadata"]["name"]
            m = re.match(r"^(.*)-[a-z0-9]{10}$", name)
            if m and m.group(1) in generated:
                rename[name] = m.group(1)
                o["metadata"]["name"] = m.group(1)

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "name" and isinstance(v, str) and v in rename:
                    node[k] = rename[v]
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(objects)
    return objects


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'kustomize' if k in b else 'checker'}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def compare_with_kustomize(repo, kdir, mine, command, problems):
    where = rel(repo, kdir)
    run = subprocess.run(shlex.split(command) + [kdir], capture_output=True,
                         text=True, check=False)
    if run.returncode != 0:
        problems.add(where, f"`{command}` failed: {run.stderr.strip()[:500]}")
        return
    theirs = [d for d in yaml.safe_load_all(run.stdout) if d]
    generated = {o["metadata"]["name"] for o in mine if o.get("kind") == "ConfigMap"}
    theirs = {obj_id(o): o for o in normalize_hashes(theirs, generated)}
    mine = {obj_id(o): o for o in mine}
    for oid in sorted(set(theirs) | set(mine), key=str):
        if oid not in mine or oid not in theirs:
            problems.add(where, f"{oid[0]}/{oid[1]} only in "
                         f"{'kustomize' if oid in theirs else 'the checker'}'s output")
            continue
        d = first_difference(mine[oid], theirs[oid])
        if d:
            problems.add(where, f"{oid[0]}/{oid[1]} renders differently from "
                         f"kustomize at {d}")


# --- main ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True)
    ap.add_argument("--ingest", required=True, help="ingest-service binary")
    ap.add_argument("--reducer", required=True, help="reducer-service binary")
    ap.add_argument("--kustomize", help="also render with this command (e.g. "
                    "'kubectl kustomize') and require the same objects")
    args = ap.parse_args()
    repo = os.path.realpath(args.repo)
    deploy = os.path.join(repo, "deploy")
    problems = Problems()

    binaries = {"ingest-service": args.ingest, "reducer-service": args.reducer}
    flags = {name: load_flags(path, name, problems) for name, path in binaries.items()}

    docs = load_yaml_files(repo, deploy, problems)
    kdirs = sorted({os.path.dirname(p) for p in docs
                    if os.path.basename(p) in ("kustomization.yaml", "kustomization.yml")})
    if not kdirs:
        problems.add("deploy", "no kustomization.yaml found")
    referenced = set()
    kusts = {}
    for kdir in kdirs:
        kust = (docs.get(os.path.realpath(kustomization_file(kdir))) or [{}])[0]
        kusts[kdir] = kust
        check_kustomization_refs(repo, kdir, kust, problems, referenced)

    # Every manifest is deployed by some kustomization, except the examples.
    for path in sorted(docs):
        base = os.path.basename(path)
        if base in ("kustomization.yaml", "kustomization.yml"):
            continue
        if base.endswith(".example.yaml"):
            continue
        if path not in referenced:
            problems.add(rel(repo, path), "is referenced by no kustomization "
                         "(resources or patches): it would never be deployed")
        for d in docs[path]:
            if not d.get("kind") or not (d.get("metadata") or {}).get("name"):
                problems.add(rel(repo, path), "a document without kind or metadata.name")

    # Secrets: documented by examples, never rendered.
    example_secrets = {}
    for path, ds in docs.items():
        if not path.endswith(".example.yaml"):
            continue
        for d in ds:
            if d.get("kind") != "Secret":
                continue
            keys = set((d.get("stringData") or {})) | set((d.get("data") or {}))
            example_secrets[(d.get("metadata") or {}).get("name")] = keys
            for k, v in (d.get("stringData") or {}).items():
                if "CHANGE_ME" not in str(v):
                    problems.add(rel(repo, path), f"{k}: example values must be "
                                 "placeholders containing CHANGE_ME")

    # Roots nobody includes are what gets deployed (the overlays).
    included = {os.path.realpath(p) for p in referenced if os.path.isdir(p)}
    for kdir in kdirs:
        objects = render(repo, kdir, docs, problems)
        if objects is None:
            problems.add(rel(repo, kdir), "could not be rendered (see above)")
            continue
        check_root(repo, kdir, objects, flags, example_secrets,
                   os.path.realpath(kdir) not in included, problems)
        if args.kustomize:
            compare_with_kustomize(repo, kdir, copy.deepcopy(objects), args.kustomize,
                                   problems)

    pkgs = lib_packages(repo, problems)
    for p in sorted(set(NOT_IN_IMAGE_BUILD) - (pkgs or set(NOT_IN_IMAGE_BUILD))):
        problems.add("tests/deploy/check_manifests.py", f"NOT_IN_IMAGE_BUILD "
                     f"names {p}, which scripts/lib.sh ANALYTICS_PACKAGES lacks")
    for name, path in binaries.items():
        check_dockerfile(repo, name, path, pkgs, problems)
    check_dockerignore(repo, problems)

    if problems.items:
        print(f"deploy/ check FAILED, {len(problems.items)} problem(s):")
        for item in problems.items:
            print(f"  - {item}")
        return 1
    print(f"deploy/ OK: {len(docs)} YAML files, {len(kdirs)} kustomizations "
          f"({', '.join(rel(repo, k) for k in kdirs)}), Dockerfiles of "
          f"{', '.join(sorted(binaries))}"
          + (f"; renders identical to `{args.kustomize}`" if args.kustomize else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
