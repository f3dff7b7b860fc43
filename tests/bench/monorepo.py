#!/usr/bin/env python3
"""Generate a synthetic monorepo: N copies of examples/ecommerce with varied values.

usage: monorepo.py DEST N
Each project gets its own name, port, replica counts and namespaces, so no two
projects render the same text.
"""
import pathlib
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ecommerce"


def main() -> None:
    dest, count = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    if dest.exists():
        shutil.rmtree(dest)
    manifest = (EXAMPLE / "cfgen.yaml").read_text(encoding="utf-8")
    kube = (EXAMPLE / "config/deployment/kubernetes.yaml").read_text(encoding="utf-8")
    scripts = (EXAMPLE / "config/deployment/scripts.yaml").read_text(encoding="utf-8")
    for i in range(count):
        project = dest / f"svc-{i:04d}"
        shutil.copytree(EXAMPLE / "config", project / "config")
        name = f"svc-{i:04d}"
        text = (
            manifest.replace("name: ecommerce", f"name: {name}")
            .replace("port: 8000", f"port: {8000 + i % 1000}")
            .replace("ecommerce-staging", f"{name}-staging")
            .replace("ecommerce-prod", f"{name}-prod")
            .replace("replicas: 3", f"replicas: {3 + i % 4}")
            .replace("staging-api.ecommerce.com", f"staging-{name}.example.com")
            .replace("host: api.ecommerce.com", f"host: {name}.example.com")
        )
        (project / "cfgen.yaml").write_text(text, encoding="utf-8")
        (project / "config/deployment/kubernetes.yaml").write_text(
            kube.replace("replicas: 3", f"replicas: {3 + i % 4}"), encoding="utf-8"
        )
        # The deploy steps name the project's Rollout (`<name>-app`).
        (project / "config/deployment/scripts.yaml").write_text(
            scripts.replace("deployment/ecommerce-app", f"deployment/{name}-app"),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
