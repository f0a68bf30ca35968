#!/usr/bin/env python3
"""Instructions per REGISTER (or per digest pair) in confabd, under callgrind.

Starts confabd (one worker unless told otherwise) under valgrind's callgrind
with the benchmark's configuration, warms it up with a few hundred sipp calls,
zeroes the counters (callgrind_control -z), runs N calls with fresh AORs,
dumps (callgrind_control -d) and prints the instructions per call. CPU time is
noisy on a shared machine; instruction counts are not, which is why per-request
cost is compared this way. Use a Release build (-DCONFAB_TESTS=OFF is enough).

  tools/bench/callgrind.py --confab-bin build/rel/proxy/main/confabd --row register_auth

Everything runs on 127.0.0.1; sipp runs are bounded in calls and time.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the benchmark's config writer, sipp runner and users)

ROWS = {
    "register": next(r for r in bench.ROWS if r.name == "REGISTER/UDP"),
    "register_auth": next(r for r in bench.ROWS if r.name == "REGISTER+digest/UDP"),
}


def summary_ir(dump: Path) -> int:
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no summary in {dump}")


def free_server_port() -> int:
    """A port free for both UDP and TCP, away from the benchmark's fixed one."""
    start = random.randrange(31000, 39000)
    for port in range(start, start + 500):
        if not bench.port_bound(port, True) and not bench.port_bound(port, False):
            return port
    raise RuntimeError("no free port for confabd between %d and %d" % (start, start + 500))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--confab-bin", required=True)
    ap.add_argument("--row", choices=sorted(ROWS), default="register_auth")
    ap.add_argument("--transport", choices=["u1", "t1"], default="u1")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--calls", type=int, default=2000, help="measured calls")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--rate", type=int, default=200, help="calls/s offered (valgrind is slow)")
    args = ap.parse_args()

    row = ROWS[args.row]
    work = Path(tempfile.mkdtemp(prefix="confab-callgrind-"))
    users = args.warmup + args.calls
    server = bench.Confab(args.workers, None, work, Path(args.confab_bin).resolve(), users)
    server.port = free_server_port()  # several profiles (or a benchmark) may run at once
    state = work / "state"
    state.mkdir()
    config = state / "confab.yaml"
    server.write_config(row, config, state)
    bench.write_users_csv(work / "warm.csv", args.warmup, 0)
    bench.write_users_csv(work / "run.csv", args.calls, args.warmup)
    ports_file = state / "ports.json"
    out = work / "callgrind.out"
    cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes",
           f"--callgrind-out-file={out}.%p",
           str(server.binary), "--config", str(config), "--ports-file", str(ports_file)]
    log = (work / "confabd.log").open("ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            cwd=state, start_new_session=True)
    try:
        deadline = time.time() + 300  # static users are hashed at load, slowly under valgrind
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"confabd exited; see {work / 'confabd.log'}")
            if ports_file.exists() and ports_file.stat().st_size > 0:
                try:
                    json.loads(ports_file.read_text())
                    break
                except ValueError:
                    pass
            time.sleep(0.2)
        else:
            raise RuntimeError("confabd did not start under valgrind within 300 s")
        ports = bench.PortAllocator()
        warm = bench.run_sipp(row.scenario, server.port, args.transport, args.warmup, args.rate,
                              work / "warm", ports, None, ["-inf", str(work / "warm.csv")],
                              rtt=False)
        if warm.successful != args.warmup:
            raise RuntimeError(f"warm-up: {warm.successful}/{args.warmup} calls succeeded")
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        run = bench.run_sipp(row.scenario, server.port, args.transport, args.calls, args.rate,
                             work / "run", ports, None, ["-inf", str(work / "run.csv")], rtt=False)
        time.sleep(1.0)  # store completions of the last calls
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        dumps = sorted(work.glob("callgrind.out.*.1-*"))  # the -d dump, one file per thread
        if not dumps:
            raise RuntimeError("callgrind wrote no dump")
        calls = max(1, run.successful)
        total = storage = 0
        for d in dumps:
            ir = summary_ir(d)
            total += ir
            # The SQLite writer thread: its cost per call falls as commits batch more
            # rows, so at callgrind's low rates it is far above what a loaded server pays.
            if "StorageThread::run" in d.read_text(errors="replace"):
                storage += ir
        print(f"row={args.row} transport={args.transport} workers={args.workers} "
              f"calls={args.calls} ok={run.successful} failed={run.failed}")
        print(f"Ir/call total={total / calls:.0f} storage-thread={storage / calls:.0f} "
              f"other-threads={(total - storage) / calls:.0f}")
        return 0 if run.failed == 0 else 1
    finally:
        bench.stop_session(proc, grace=60)
        print(f"work directory: {work}")

if __name__ == "__main__":
    sys.exit(main())
