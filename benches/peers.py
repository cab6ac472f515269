#!/usr/bin/env python3
"""Side-by-side speed of infersim against the peers in ../shared/peers, in one run.

Runs, on the same M/M/4 (lambda 3.6, mu 1):
  - infersim on scenarios/bench/mmc-1e7.toml (10^7 customers, every statistic on),
  - the bare-loop reference (../shared/peers/bare_mmc, built in a temporary copy),
  - SimPy 4 (../shared/peers/simpy_mmc.py; installed into target/peers-venv if missing)
    on 10^6 customers, compared per customer (10^7 would take minutes),
and infersim again on 10^6 customers for the memory check. Prints wall times, customers per
second, peak memory (max RSS) and the ratios the project tracks:
  infersim / bare wall time (target <= 2), SimPy / infersim time per customer (target >= 80),
  peak memory at 10^7 / at 10^6 (target <= 1.10).
Machines here are noisy: only ratios measured in the same run mean anything.

Usage: python3 benches/peers.py [--repeat N]  (N runs of each, best wall time kept)
"""
import argparse, os, pathlib, shutil, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEERS = (ROOT / ".." / "shared" / "peers").resolve()
TARGET = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
N_BIG, N_SMALL = 10_000_000, 1_000_000
LAM, MU, C, SEED = "3.6", "1", "4", "1"


def run(cmd):
    """Runs cmd; returns (wall seconds, stdout). Exits with its stderr if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return wall, p.stdout


def measured(cmd, repeat):
    """Best wall time over `repeat` runs and the max RSS [MiB] (via GNU time)."""
    best, rss, out = None, 0.0, ""
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile() as tf:
            wall, out = run(["/usr/bin/time", "-f", "%M", "-o", tf.name, *map(str, cmd)])
            rss = max(rss, int(pathlib.Path(tf.name).read_text().split()[-1]) / 1024)
        best = wall if best is None else min(best, wall)
    return best, rss, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-simpy", action="store_true")
    a = ap.parse_args()
    if not pathlib.Path("/usr/bin/time").exists():
        sys.exit("needs GNU time at /usr/bin/time (Debian package `time`)")

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not (PEERS / "bare_mmc").is_dir():
        sys.exit(f"the peer programs are not here: {PEERS} (they live beside the project, in "
                 "../shared/peers, on the project's own machines); this script compares against them")
    infersim = TARGET / "release" / "infersim"
    work = pathlib.Path(tempfile.mkdtemp(prefix="infersim-peers-"))
    shutil.copytree(PEERS / "bare_mmc", work / "bare_mmc")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                    str(work / "bare_mmc" / "Cargo.toml")], check=True)
    bare = work / "bare_mmc" / "target" / "release" / "bare_mmc"

    big = ROOT / "scenarios" / "bench" / "mmc-1e7.toml"
    small = work / "mmc-1e6.toml"
    small.write_text(big.read_text().replace("10_000_000", "1_000_000").replace('"mmc-1e7"', '"mmc-1e6"'))

    rows = []
    # Interleave the two 1e7 runs so that both see the same machine conditions; keep the
    # best wall time of each.
    w_inf = w_bare = float("inf")
    m_inf = m_bare = 0.0
    for _ in range(a.repeat):
        w, m, _ = measured([infersim, "run", big, "--quiet", "--threads", "1", "--out", work / "o7"], 1)
        w_inf, m_inf = min(w_inf, w), max(m_inf, m)
        w, m, _ = measured([bare, N_BIG, LAM, MU, C, SEED], 1)
        w_bare, m_bare = min(w_bare, w), max(m_bare, m)
    rows.append(("infersim", N_BIG, w_inf, m_inf))
    rows.append(("bare loop", N_BIG, w_bare, m_bare))
    w_inf6, m_inf6, _ = measured([infersim, "run", small, "--quiet", "--threads", "1", "--out", work / "o6"], a.repeat)
    rows.append(("infersim", N_SMALL, w_inf6, m_inf6))
    w_simpy = None
    if not a.skip_simpy:
        venv = TARGET / "peers-venv"
        py = venv / "bin" / "python"
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(py), "-m", "pip", "install", "--quiet", "simpy==4.1.1"], check=True)
        w_simpy, m_simpy, _ = measured([py, PEERS / "simpy_mmc.py", N_SMALL, LAM, MU, C, SEED], 1)
        rows.append(("SimPy", N_SMALL, w_simpy, m_simpy))

    print(f"{'program':<10} {'customers':>11} {'wall_s':>8} {'customers/s':>13} {'max_rss_MiB':>12}")
    for name, n, w, m in rows:
        print(f"{name:<10} {n:>11,} {w:>8.3f} {n / w:>13,.0f} {m:>12.1f}")
    print()
    print(f"infersim / bare wall time (1e7):        {w_inf / w_bare:6.2f}x   (target <= 2)")
    if w_simpy:
        print(f"SimPy / infersim time per customer:     {(w_simpy / N_SMALL) / (w_inf / N_BIG):6.1f}x   (target >= 80)")
    print(f"infersim peak memory 1e7 / 1e6:         {m_inf / m_inf6:6.3f}    (target <= 1.10)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
