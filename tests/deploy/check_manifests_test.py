#!/usr/bin/env python3
"""Proves check_manifests.py fails where it should (ctest -R DeployManifests).

Copies deploy/, scripts/lib.sh and .dockerignore to a scratch repository,
checks that the copy passes, then breaks it one way at a time (a misspelt
flag, a wrong port, a missing probe, a root container, a package missing
from a Dockerfile, ...) and requires the checker to fail with the expected
message. A mutation whose text is no longer found fails too: keep this list
in step with deploy/.

    python3 tests/deploy/check_manifests_test.py --repo . \\
        --ingest build/bin/ingest-service --reducer build/bin/reducer-service
"""

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import check_manifests  # noqa: E402

B = "deploy/base/"
LOCAL = "deploy/overlays/local/"
PROD = "deploy/overlays/production/"
INGEST_DF = "deploy/docker/ingest-service.Dockerfile"
REDUCER_DF = "deploy/docker/reducer-service.Dockerfile"

# Mutations caught only where the binaries' libraries can be resolved to
# Debian packages (not in a sanitizer build, not without dpkg).
NEEDS_LIBRARY_CHECK = "needs library check"

# (what, file, old text, new text, expected message fragment[, condition]).
# `old` must occur in the file; its first occurrence is replaced.
MUTATIONS = [
    ("misspelt flag in args", B + "reducer-worker.yaml",
     "--serve_queries=false", "--serve_querys=false",
     "argument --serve_querys is not a flag of reducer-service"),
    ("misspelt ANALYTICS_* variable in a ConfigMap", B + "kustomization.yaml",
     "ANALYTICS_BATCH_SIZE=2000", "ANALYTICS_BATCH_SIZ=500",
     "ANALYTICS_BATCH_SIZ (ConfigMap analytics-reducer-worker) is not a flag"),
    ("metrics port differs from the metrics containerPort", B + "kustomization.yaml",
     "ANALYTICS_METRICS_PORT=9090", "ANALYTICS_METRICS_PORT=9091",
     "containerPort metrics 9090 is not --metrics_port (9091)"),
    ("reducer flag in ingest's ConfigMap", B + "kustomization.yaml",
     "ANALYTICS_MAX_EVENTS_PER_REQUEST=500", "ANALYTICS_BATCH_SIZE=2000",
     "ANALYTICS_BATCH_SIZE (ConfigMap analytics-ingest) is not a flag of ingest-service"),
    ("misspelt variable in a container's env", B + "ingest-service.yaml",
     "- name: ANALYTICS_ADMIN_TOKEN", "- name: ANALYTICS_ADMIN_TOKENS",
     "ANALYTICS_ADMIN_TOKENS (Secret analytics-secrets) is not a flag"),
    ("misspelt variable in an overlay", LOCAL + "kustomization.yaml",
     "ANALYTICS_LOG_LEVEL=debug", "ANALYTICS_LOGLEVEL=debug",
     "ANALYTICS_LOGLEVEL (ConfigMap analytics-common) is not a flag"),
    ("duration of the wrong type", B + "kustomization.yaml",
     "ANALYTICS_POLL_INTERVAL=1s", "ANALYTICS_POLL_INTERVAL=1 second",
     "is not a valid duration for --poll_interval"),
    ("int of the wrong type", B + "kustomization.yaml",
     "ANALYTICS_DB_POOL_SIZE=16", "ANALYTICS_DB_POOL_SIZE=sixteen",
     "is not a valid int for --db_pool_size"),
    ("loopback listen address", B + "ingest-service.yaml",
     "value: 0.0.0.0:50051", "value: 127.0.0.1:50051",
     "ANALYTICS_LISTEN=127.0.0.1:50051: must be 0.0.0.0:<port>"),
    ("listen address missing", B + "reducer-worker.yaml",
     "- name: ANALYTICS_LISTEN\n              value: 0.0.0.0:50052\n", "",
     "env ANALYTICS_LISTEN must be set"),
    ("listen port differs from the containerPort", B + "reducer-query.yaml",
     "value: 0.0.0.0:50052", "value: 0.0.0.0:50053",
     "no containerPort 50053 for ANALYTICS_LISTEN"),
    ("probe on the wrong port", B + "reducer-query.yaml",
     "readinessProbe:\n            grpc:\n              port: 50052",
     "readinessProbe:\n            grpc:\n              port: 50053",
     "readinessProbe gRPC port 50053 is not the listen port 50052"),
    ("liveness probe missing", B + "reducer-worker.yaml",
     "livenessProbe:", "x-removedProbe:",
     "Deployment/reducer-worker container reducer-service: no livenessProbe"),
    ("HTTP probe instead of gRPC", B + "ingest-service.yaml",
     "readinessProbe:\n            grpc:\n              port: 50051",
     "readinessProbe:\n            tcpSocket:\n              port: 50051",
     "readinessProbe must be a native gRPC probe"),
    ("Service targetPort not a container port", B + "reducer-query.yaml",
     "targetPort: grpc", "targetPort: 50053",
     "targetPort 50053 is not a port of reducer-query"),
    ("query Service selecting the workers", B + "reducer-query.yaml",
     "    app.kubernetes.io/name: reducer-service\n"
     "    app.kubernetes.io/component: reducer-query\n  ports:",
     "    app.kubernetes.io/name: reducer-service\n"
     "    app.kubernetes.io/component: reducer-worker\n  ports:",
     "which does not serve QueryService"),
    ("worker that serves queries", B + "reducer-worker.yaml",
     "--serve_queries=false", "--serve_queries=true",
     "must run --reduce=true --serve_queries=false"),
    ("writable root filesystem", B + "ingest-service.yaml",
     "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
     "readOnlyRootFilesystem must be true"),
    ("root user", B + "reducer-worker.yaml",
     "runAsUser: 65532", "runAsUser: 0",
     "runAsUser must be 65532"),
    ("capabilities kept", B + "migrate-job.yaml",
     'drop: ["ALL"]', 'drop: ["NET_RAW"]',
     "capabilities.drop must contain ALL"),
    ("privilege escalation", B + "reducer-query.yaml",
     "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true",
     "allowPrivilegeEscalation must be false"),
    ("resources missing", B + "migrate-job.yaml",
     "            limits:\n              cpu: 500m\n              memory: 256Mi\n", "",
     "resources.limits.cpu is missing"),
    ("grace period below --shutdown_grace + preStop", B + "ingest-service.yaml",
     "terminationGracePeriodSeconds: 15", "terminationGracePeriodSeconds: 10",
     "terminationGracePeriodSeconds 10 must exceed --shutdown_grace 8s"),
    ("longer --shutdown_grace in an overlay", PROD + "kustomization.yaml",
     "patches:\n",
     "configMapGenerator:\n  - name: analytics-common\n    behavior: merge\n"
     "    literals:\n      - ANALYTICS_SHUTDOWN_GRACE=20s\n\npatches:\n",
     "must exceed --shutdown_grace 20s"),
    ("migration Job without --migrate_only", B + "migrate-job.yaml",
     "- --migrate_only", "- --migrate",
     "a Job of ours must run --migrate_only"),
    ("TEST ONLY flag", B + "reducer-worker.yaml",
     "- --serve_queries=false", "- --serve_queries=false\n            - --test_fail_event_name=x",
     "a TEST ONLY flag"),
    ("admin token in a ConfigMap", B + "kustomization.yaml",
     "ANALYTICS_KEY_CACHE_TTL=5s\n  # reducer-service --reduce=true",
     "ANALYTICS_KEY_CACHE_TTL=5s\n      - ANALYTICS_ADMIN_TOKEN=hunter2\n"
     "  # reducer-service --reduce=true",
     "ANALYTICS_ADMIN_TOKEN is a secret: it belongs in the Secret"),
    ("admin token as an argument", B + "reducer-query.yaml",
     "- --serve_queries=true", "- --serve_queries=true\n            - --admin_token=hunter2",
     "--admin_token is a secret; take it from the Secret"),
    ("Secret key not documented", B + "ingest-service.yaml",
     "key: ANALYTICS_ADMIN_TOKEN", "key: ADMIN_TOKEN",
     "key ADMIN_TOKEN is missing from the example of Secret analytics-secrets"),
    ("missing resource file", B + "kustomization.yaml",
     "- reducer-query.yaml", "- reducer-queries.yaml",
     "resource reducer-queries.yaml does not exist"),
    ("example Secret deployed", B + "kustomization.yaml",
     "- reducer-query.yaml", "- reducer-query.yaml\n  - secret.example.yaml",
     "example files (real secrets' shape) must never be deployed"),
    ("orphan manifest", LOCAL + "kustomization.yaml",
     "  - path: resources.yaml\n", "",
     "resources.yaml: is referenced by no kustomization"),
    ("kustomization field the checker cannot render", PROD + "kustomization.yaml",
     "namespace: analytics", "namespace: analytics\nnamePrefix: prod-",
     "field `namePrefix` is not understood"),
    ("patch of a missing object", PROD + "spread.yaml",
     "name: reducer-worker", "name: reducer-workers",
     "patch target Deployment/reducer-workers is not among the resources"),
    ("YAML syntax error", PROD + "autoscaling.yaml",
     "minReplicas: 3", "minReplicas: [3",
     "does not parse as YAML"),
    ("CPU autoscaler on the workers", B + "reducer-query.yaml",
     "    kind: Deployment\n    name: reducer-query",
     "    kind: Deployment\n    name: reducer-worker",
     "targets reducer workers: scale them on the backlog"),
    ("HPA range upside down", PROD + "autoscaling.yaml",
     "maxReplicas: 12", "maxReplicas: 2",
     "needs 1 <= minReplicas (3) <= maxReplicas (2)"),
    ("PDB missing", B + "reducer-worker.yaml",
     "kind: PodDisruptionBudget", "kind: PodDisruptionBudgetX",
     "Deployment/reducer-worker: needs exactly one PodDisruptionBudget"),
    (":latest in an overlay", PROD + "kustomization.yaml",
     "newTag: set-by-release", "newTag: latest",
     "pin a tag (overlay images:), never :latest"),
    ("runtime library missing from the image", INGEST_DF,
     "libabsl20220623 libfmt9 ", "libabsl20220623 ",
     "runtime stage lacks libfmt9", NEEDS_LIBRARY_CHECK),
    ("library the binary does not link in the image", REDUCER_DF,
     "libabsl20220623 libfmt9 ", "libabsl20220623 libfmt9 libcurl4 ",
     "runtime stage installs libcurl4, which owns no library", NEEDS_LIBRARY_CHECK),
    ("build package missing from the image", REDUCER_DF,
     "libabsl-dev libpqxx-dev", "libabsl-dev",
     "build stage does not install libpqxx-dev"),
    ("new package in scripts/lib.sh", "scripts/lib.sh",
     "ANALYTICS_PACKAGES=(\n", "ANALYTICS_PACKAGES=(\n  libfoo-dev\n",
     "build stage does not install libfoo-dev"),
    ("tests built in the image", INGEST_DF,
     "-DBUILD_TESTING=OFF", "-DBUILD_TESTING=ON",
     "build stage: no -DBUILD_TESTING=OFF"),
    ("image running as root", REDUCER_DF,
     "USER 65532:65532", "USER root",
     "runtime stage must end as USER 65532"),
    (".dockerignore without build/", ".dockerignore",
     "\nbuild/\n", "\n",
     "does not exclude build/"),
]


def run_checker(repo, ingest, reducer):
    out = io.StringIO()
    argv = sys.argv
    sys.argv = ["check_manifests.py", "--repo", repo, "--ingest", ingest,
                "--reducer", reducer]
    try:
        with contextlib.redirect_stdout(out):
            code = check_manifests.main()
    finally:
        sys.argv = argv
    return code, out.getvalue()


def memoize(fn):
    cache = {}

    def wrapper(binary, name_or_problems, *rest):
        key = (fn.__name__, binary)
        if key not in cache:
            cache[key] = fn(binary, name_or_problems, *rest)
        return cache[key]
    return wrapper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--ingest", required=True)
    ap.add_argument("--reducer", required=True)
    args = ap.parse_args()
    ingest, reducer = os.path.abspath(args.ingest), os.path.abspath(args.reducer)
    # The binaries do not change between mutations: ask them once.
    check_manifests.load_flags = memoize(check_manifests.load_flags)
    check_manifests.needed_packages = memoize(check_manifests.needed_packages)

    failures = []
    with tempfile.TemporaryDirectory(prefix="deploy-check-") as scratch:
        pristine = os.path.join(scratch, "pristine")
        os.makedirs(os.path.join(pristine, "scripts"))
        shutil.copytree(os.path.join(args.repo, "deploy"),
                        os.path.join(pristine, "deploy"))
        shutil.copy(os.path.join(args.repo, "scripts", "lib.sh"),
                    os.path.join(pristine, "scripts", "lib.sh"))
        shutil.copy(os.path.join(args.repo, ".dockerignore"), pristine)

        code, out = run_checker(pristine, ingest, reducer)
        if code != 0:
            print("the unmodified copy of deploy/ must pass, but:\n" + out)
            return 1

        with contextlib.redirect_stdout(io.StringIO()):
            library_check = check_manifests.needed_packages(
                ingest, check_manifests.Problems(), "probe") is not None
        skipped = 0
        for what, rel_path, old, new, expected, *condition in MUTATIONS:
            if NEEDS_LIBRARY_CHECK in condition and not library_check:
                print(f"skipped: {what} (the binaries' libraries are not "
                      "checkable here: a sanitizer build, or no dpkg)")
                skipped += 1
                continue
            work = os.path.join(scratch, "work")
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(pristine, work)
            path = os.path.join(work, rel_path)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if old not in text:
                failures.append(f"{what}: {rel_path} no longer contains {old!r}; "
                                "update MUTATIONS in check_manifests_test.py")
                continue
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
            code, out = run_checker(work, ingest, reducer)
            if code == 0:
                failures.append(f"{what}: the checker passed ({rel_path} changed)")
            elif expected not in out:
                failures.append(f"{what}: failed, but without {expected!r}:\n{out}")
            else:
                line = next(li for li in out.splitlines() if expected in li)
                print(f"caught: {what}\n   {line.strip()}")

    if failures:
        print(f"\n{len(failures)} of {len(MUTATIONS)} mutations not caught as expected:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"\nall {len(MUTATIONS) - skipped} mutations of deploy/ tried were "
          f"caught ({skipped} skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
