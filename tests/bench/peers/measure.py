#!/usr/bin/env python3
"""Run a command RUNS times under GNU time; print the medians (and ranges) of wall time,
CPU time (user+sys) and peak RSS, with the load average before and after the series.

usage: measure.py RUNS [--pre SHELL] [--stdout FILE] -- COMMAND...
  --pre     a shell command run (untimed) before each run, e.g. removing the output
  --stdout  where the command's standard output goes (default /dev/null)

CPU time and peak RSS are what to compare on a shared machine: wall time includes
waiting for the cores other processes hold.
"""
import os
import statistics
import subprocess
import sys
import tempfile


def main() -> None:
    args = sys.argv[1:]
    runs = int(args.pop(0))
    pre, out = None, os.devnull
    while args[0] != "--":
        flag, value = args.pop(0), args.pop(0)
        if flag == "--pre":
            pre = value
        elif flag == "--stdout":
            out = value
        else:
            sys.exit(f"unknown option {flag}")
    cmd = args[1:]
    load_before = os.getloadavg()[0]
    wall, cpu, rss = [], [], []
    for _ in range(runs):
        if pre:
            subprocess.run(pre, shell=True, check=True)
        with tempfile.NamedTemporaryFile("r") as t, open(out, "wb") as o:
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name, *cmd],
                stdout=o,
                stderr=subprocess.DEVNULL,
            )
            if proc.returncode != 0:
                sys.exit(f"command failed with {proc.returncode}: {' '.join(cmd)}")
            e, u, s, m = t.read().split()[-4:]
        wall.append(float(e))
        cpu.append(float(u) + float(s))
        rss.append(int(m) / 1024)
    load_after = os.getloadavg()[0]

    def ms(xs):
        return f"{statistics.median(xs)*1000:.0f} ms [{min(xs)*1000:.0f}–{max(xs)*1000:.0f}]"

    print(
        f"  runs={runs} wall={ms(wall)} cpu={ms(cpu)} "
        f"rss={statistics.median(rss):.1f} MiB load={load_before:.1f}→{load_after:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
