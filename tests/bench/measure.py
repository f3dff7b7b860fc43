#!/usr/bin/env python3
"""Run a command several times; print median/min/max wall time and peak RSS.

usage: measure.py RUNS -- COMMAND...
Peak RSS comes from one more run under GNU time (`/usr/bin/time -f %M`): a
child's maximum RSS as Python's rusage sees it includes the Python process it
was forked from (~14 MiB), which would hide anything smaller.
"""
import statistics
import subprocess
import sys
import tempfile
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
    with tempfile.NamedTemporaryFile("r") as rss:
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        peak_kib = int(rss.read().split()[-1])
    print(
        f"{' '.join(cmd)}\n  runs={runs} median={statistics.median(times)*1000:.1f} ms "
        f"min={min(times)*1000:.1f} ms max={max(times)*1000:.1f} ms peak_rss={peak_kib/1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
