#!/usr/bin/env python3
"""Wall time, peak memory, events/s and LLM calls/s of the fleet-scale benchmark
(scenarios/bench/fleet-1000gpu.toml: one simulated hour of 1,024 GPUs in five pools serving
four agentic workflows, ~9.5 million LLM calls), measured as a user runs it: the release
binary from start-up to exit, outputs included (summary, time series, distributions, the
report and its charts; `--no-report` leaves those last two out).

Targets (issue 8): under 60 s wall on 2 cores, peak memory (max RSS) under 2 GiB. One
replication is one thread; the second core only helps the other work on the machine.

Usage: python3 benches/fleet.py [--repeat N] [--no-report] [--horizon 10m]
"""
import argparse, json, os, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Cargo's target folder: $CARGO_TARGET_DIR when set (relative to the project), else target/.
TARGET = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
BIN = TARGET / "release" / "infersim"
SCENARIO = "scenarios/bench/fleet-1000gpu.toml"


def calls_completed(summary):
    """calls_completed summed over the GPU pools (rows `pool:NAME,calls_completed,total`)."""
    total = 0.0
    for line in summary.splitlines():
        f = line.split(",")
        if f[1].startswith("pool:") and f[2] == "calls_completed" and f[3] == "total":
            total += float(f[4])
    return int(round(total))


def run(out, args):
    with tempfile.NamedTemporaryFile() as tf:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name, str(BIN), "run", SCENARIO,
               "--quiet", "--out", out]
        if args.no_report:
            cmd.append("--no-report")
        if args.horizon:
            cmd += ["--set", f"scenario.horizon={args.horizon}"]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        rss = int(pathlib.Path(tf.name).read_text().split()[-1]) / 1024
    info = json.loads((pathlib.Path(out) / "run.json").read_text())
    calls = calls_completed((pathlib.Path(out) / "summary.csv").read_text())
    return wall, rss, info, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-report", action="store_true", help="skip report.html and charts")
    ap.add_argument("--horizon", help="a shorter horizon (e.g. 10m) for a quick look")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as out:
        runs = [run(out, args) for _ in range(args.repeat)]
    wall, rss, info, calls = min(runs, key=lambda r: r[0])
    events = info["events_all_replications"]
    sim = info["execution"]["wall_s"]
    print(f"scenario               {SCENARIO}" + (f" (horizon {args.horizon})" if args.horizon else ""))
    print(f"wall time              {wall:.1f} s (best of {args.repeat}; start-up to exit, outputs"
          f"{'' if args.no_report else ' and report'} included)   target < 60 s")
    print(f"  of which simulation  {sim:.1f} s (run.json execution.wall_s)")
    print(f"peak memory (max RSS)  {rss:.1f} MiB   target < 2048 MiB")
    print(f"events                 {events:,}  ({events / wall / 1e6:.2f} M events/s of wall time)")
    print(f"LLM calls completed    {calls:,}  ({calls / wall / 1e3:.0f} k calls/s of wall time, "
          f"{events / max(calls, 1):.2f} events per call)")


if __name__ == "__main__":
    main()
