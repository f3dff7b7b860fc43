#!/usr/bin/env python3
"""The like-for-like workload of BENCHMARKS.md: N services, each a prebuilt image
`registry.example.com/team/svc-NNNN:1.x.y`, a port, replicas, cpu/memory requests and
limits, five env vars and a public host, in one environment (`production`), as

  DEST/cfgen/svc-NNNN/cfgen.yaml   one cfgen project per service (`targets: [kubernetes]`)
  DEST/pkl/services.pkl            one Pkl module listing the services (amends main.pkl)
  DEST/helm/values.yaml            the values of the one Helm chart (tests/bench/peers/chart)

usage: gen.py DEST N
"""
import os
import sys


def service(i):
    return {
        "name": f"svc-{i:04d}",
        "image": f"registry.example.com/team/svc-{i:04d}:1.{i % 7}.{i % 13}",
        "port": 8000 + i % 1000,
        "replicas": 2 + i % 3,
        "req_cpu": f"{100 + (i % 5) * 50}m",
        "req_mem": f"{128 + (i % 4) * 64}Mi",
        "lim_cpu": f"{500 + (i % 5) * 100}m",
        "lim_mem": f"{512 + (i % 4) * 128}Mi",
        "env": {
            "APP_MODE": ["blue", "green", "canary"][i % 3],
            "REGION": ["eu-west-1", "us-east-1"][i % 2],
            "FEATURE_FLAGS": f"f{i % 10},g{i % 7}",
            "CACHE_TTL": str(60 + i % 240),
            "UPSTREAM_URL": f"http://svc-{(i + 1):04d}.team.svc.cluster.local",
        },
        "host": f"svc-{i:04d}.apps.example.com",
    }


def cfgen_manifest(s):
    env = "".join(f'  {k}: "{v}"\n' for k, v in s["env"].items())
    return f"""version: 2
name: {s['name']}
image: {s['image']}
processes:
  web:
    port: {s['port']}
    autoscale: false
    resources:
      requests: {{ cpu: {s['req_cpu']}, memory: {s['req_mem']} }}
      limits: {{ cpu: {s['lim_cpu']}, memory: {s['lim_mem']} }}
env:
{env}targets: [kubernetes]
environments:
  production:
    host: {s['host']}
    replicas: {s['replicas']}
"""


def pkl_entry(s):
    env = "".join(f'      ["{k}"] = "{v}"\n' for k, v in s["env"].items())
    return f"""  new {{
    name = "{s['name']}"
    image = "{s['image']}"
    port = {s['port']}
    replicas = {s['replicas']}
    host = "{s['host']}"
    requests {{ cpu = "{s['req_cpu']}"; memory = "{s['req_mem']}" }}
    limits {{ cpu = "{s['lim_cpu']}"; memory = "{s['lim_mem']}" }}
    env {{
{env}    }}
  }}
"""


def helm_entry(s):
    env = "".join(f'      {k}: "{v}"\n' for k, v in s["env"].items())
    return f"""  - name: {s['name']}
    image: {s['image']}
    port: {s['port']}
    replicas: {s['replicas']}
    host: {s['host']}
    requests: {{ cpu: {s['req_cpu']}, memory: {s['req_mem']} }}
    limits: {{ cpu: {s['lim_cpu']}, memory: {s['lim_mem']} }}
    env:
{env}"""


def main():
    dest, n = sys.argv[1], int(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    services = [service(i) for i in range(1, n + 1)]
    for s in services:
        d = os.path.join(dest, "cfgen", s["name"])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "cfgen.yaml"), "w") as f:
            f.write(cfgen_manifest(s))
    os.makedirs(os.path.join(dest, "pkl"), exist_ok=True)
    with open(os.path.join(dest, "pkl", "services.pkl"), "w") as f:
        f.write(f'amends "{here}/main.pkl"\n\nservices {{\n')
        f.write("".join(pkl_entry(s) for s in services))
        f.write("}\n")
    os.makedirs(os.path.join(dest, "helm"), exist_ok=True)
    with open(os.path.join(dest, "helm", "values.yaml"), "w") as f:
        f.write("services:\n" + "".join(helm_entry(s) for s in services))


if __name__ == "__main__":
    main()
