#!/usr/bin/env python3
"""Wall time, peak memory and events per second of the full Azure conversation-trace replay
(scenarios/azure-conv-h100.toml: 19,366 requests, Llama-3.1-70B on 4 x H100 TP4), measured as
a user runs it: the release binary from start-up to exit, trace parsing and output writing
included, on one thread.

Target (issue 3): under 0.1 s on one core. For scale, the issue quotes about 2 s for a Rust
vLLM-style simulator and about 60 s (1.6 GB) for a Python one on this trace.

Usage: python3 benches/trace_replay.py [--repeat N]   (best wall time of N runs)
"""
import argparse, json, os, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Cargo's target folder: $CARGO_TARGET_DIR when set (relative to the project), else target/.
TARGET = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
BIN = TARGET / "release" / "infersim"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--scenario", default="scenarios/azure-conv-h100.toml")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    best, rss, info = None, 0.0, None
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeat):
            with tempfile.NamedTemporaryFile() as tf:
                cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name, str(BIN), "run",
                       args.scenario, "--quiet", "--threads", "1", "--out", out]
                t0 = time.perf_counter()
                p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                wall = time.perf_counter() - t0
                if p.returncode != 0:
                    sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
                rss = max(rss, int(pathlib.Path(tf.name).read_text().split()[-1]) / 1024)
            best = wall if best is None else min(best, wall)
            info = json.loads((pathlib.Path(out) / "run.json").read_text())
        summary = (pathlib.Path(out) / "summary.csv").read_text().splitlines()
    events = info["events_all_replications"]
    per_call = next(l for l in summary if ",all,events_per_llm_call,mean," in l).split(",")[4]
    print(f"scenario               {args.scenario}")
    print(f"wall time (best of {args.repeat})  {best * 1000:.1f} ms   (start-up, parsing, run, outputs)")
    print(f"simulation only        {info['execution']['wall_s'] * 1000:.1f} ms")
    print(f"peak memory (max RSS)  {rss:.1f} MiB")
    print(f"events                 {events}  ({events / best / 1e6:.2f} M events/s of wall time)")
    print(f"events per LLM call    {float(per_call):.2f}")


if __name__ == "__main__":
    main()
