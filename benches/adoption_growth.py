#!/usr/bin/env python3
"""Wall time, peak memory and events per second of the 18-month adoption-growth scenario
(scenarios/adoption-growth.toml: 79 weekly epochs of one simulated day x 2 replications),
measured as a user runs it: the release binary from start-up to exit on every core, outputs
included. Also prints the same horizon on one thread, for the parallel speed-up.

Target (issue 6): under 60 s on 2 cores.

Usage: python3 benches/adoption_growth.py [--repeat N] [--no-single]
"""
import argparse, json, os, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Cargo's target folder: $CARGO_TARGET_DIR when set (relative to the project), else target/.
TARGET = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
BIN = TARGET / "release" / "infersim"
SCENARIO = "scenarios/adoption-growth.toml"


def run(threads, out):
    with tempfile.NamedTemporaryFile() as tf:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name, str(BIN), "run", SCENARIO,
               "--quiet", "--out", out]
        if threads:
            cmd += ["--threads", str(threads)]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        rss = int(pathlib.Path(tf.name).read_text().split()[-1]) / 1024
    info = json.loads((pathlib.Path(out) / "run.json").read_text())
    return wall, rss, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-single", action="store_true")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as out:
        runs = [run(None, out) for _ in range(args.repeat)]
        wall, rss, info = min(runs, key=lambda r: r[0])
        h = info["horizon"]
        events = info["events_all_replications"]
        print(f"scenario               {SCENARIO}: {h['epochs']} epochs x {info['replications']} replications")
        print(f"wall time, all cores   {wall:.1f} s (best of {args.repeat}; {info['execution']['threads']} threads)")
        print(f"peak memory (max RSS)  {rss:.1f} MiB")
        print(f"events                 {events}  ({events / wall / 1e6:.2f} M events/s of wall time)")
        print(f"runway                 {h['runway_days']:.0f} days ({h['runway_date']})")
        if not args.no_single:
            w1, _, _ = run(1, out)
            print(f"wall time, 1 thread    {w1:.1f} s  (speed-up {w1 / wall:.2f}x)")


if __name__ == "__main__":
    main()
