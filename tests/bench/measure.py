#!/usr/bin/env python3
"""Run a command several times; print median/min/max wall time and peak RSS.

usage: measure.py RUNS -- COMMAND...
Peak RSS is the largest of the children's maximum resident set sizes.
"""
import resource
import statistics
import subprocess
import sys
import time


def main() -> None:
    runs = int(sys.argv[1])
    cmd = sys.argv[sys.argv.index("--") + 1 :]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0,):
            sys.exit(f"command failed with {proc.returncode}: {' '.join(cmd)}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"{' '.join(cmd)}\n  runs={runs} median={statistics.median(times)*1000:.1f} ms "
        f"min={min(times)*1000:.1f} ms max={max(times)*1000:.1f} ms peak_rss={peak_kib/1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
