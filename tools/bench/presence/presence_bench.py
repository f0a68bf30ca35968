#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Presence benchmark, side by side: Confab vs Kamailio's presence modules.

Rows (each over UDP; --tcp adds the same rows over one TCP connection):

  SUBSCRIBE    many watchers subscribe (Event: presence) to 1,000 presentities
               that have published; a subscription counts once its 2xx and its
               first NOTIFY (answered 200) are in. Fixed run in rounds that
               alternate between the servers (tx/core-s, response times, memory
               per 10,000 subscriptions), then a search for the highest
               subscription rate with < 0.1 % failed calls.
  NOTIFY x W   W (1, 100, 1,000) watchers subscribe to one presentity, then the
               presentity PUBLISHes a new PIDF note again and again (SIP-If-Match
               with the ETag of the last 200), paced to offer the same NOTIFY
               rate for every W; every NOTIFY the watchers' sipp receives and
               answers 200 is counted. Rounds alternate between the servers.

Primary figure: SIP transactions per server core-second (server CPU of all its
processes and threads from /proc, as tools/bench/bench.py measures it; a
subscription is 2 transactions, SUBSCRIBE + first NOTIFY; a fan-out round is
its PUBLISHes + the NOTIFYs delivered). The machinery (servers, /proc CPU and
memory, sipp runs) is bench.py's, imported; see README.md for the method.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import bench  # noqa: E402  (tools/bench/bench.py: servers, /proc accounting, sipp runs)

DOMAIN = bench.DOMAIN
HOST = bench.HOST
# Not bench.py's ports: both benchmarks can be run one after the other without
# waiting for a straggler of the other to let go of its port.
KAMAILIO_PORT = 15160
CONFAB_PORT = 15170

PRESENTITIES = 1000    # published presentities the SUBSCRIBE row's watchers spread over
FAN_WATCHERS = (1, 100, 1000)  # W of the NOTIFY xW rows
MAX_ROUNDS = 20        # rounds a run may have (each round's presentity is a Confab user)
SETTLE_S = 6.0         # before the memory reading: Kamailio's tm wait timer is 5 s
FAN_MAX_LAG_S = 1.0    # NOTIFY search: last NOTIFY at most this long after the last PUBLISH
WATCHER_IDLE_S = 2.0   # watch.xml leaves after this long without a NOTIFY (its timeout)
NOT_IMPLEMENTED = "n/a (not implemented)"
# A call that gets an unexpected message (e.g. 404 to a PUBLISH) fails at once;
# sipp 3.6 would otherwise retransmit its request until the transaction times out.
ABORT_UNEXPECTED = ["-default_behaviors", "abortunexp"]


# --------------------------------------------------------------------------- plan

@dataclass
class Plan:
    sub_fixed: int             # subscriptions in the SUBSCRIBE fixed run (all rounds)
    sub_fixed_rate: int        # subscriptions/s offered in the fixed run
    sub_steps: list[int]       # subscriptions/s offered by the rate search
    sub_step_seconds: float
    fan_watchers: list[int]    # W of the NOTIFY rows
    fan_notifies: int          # NOTIFYs offered per fan-out round (W x PUBLISHes)
    fan_rate: int              # NOTIFYs/s offered (PUBLISH interval = W / fan_rate)
    watch_rate: int            # SUBSCRIBEs/s of the fan-out watchers
    closed_loop_publishes: int  # W=1: PUBLISHes per round, back to back
    fan_steps: list[int] = field(default_factory=list)  # NOTIFYs/s offered by the search
    rounds: int = 3


FULL = Plan(sub_fixed=30000, sub_fixed_rate=2500, sub_steps=[2500, 5000, 7500, 10000, 12500],
            sub_step_seconds=2.0, fan_watchers=list(FAN_WATCHERS), fan_notifies=15000,
            fan_rate=5000, watch_rate=2000, closed_loop_publishes=3000,
            fan_steps=[10000, 20000, 40000])
QUICK = Plan(sub_fixed=6000, sub_fixed_rate=2500, sub_steps=[2500, 5000], sub_step_seconds=1.0,
             fan_watchers=list(FAN_WATCHERS), fan_notifies=3000, fan_rate=5000, watch_rate=2000,
             closed_loop_publishes=600, fan_steps=[20000])


@dataclass(frozen=True)
class PRow:
    name: str
    kind: str         # "subscribe" or "fanout"
    transport: str    # sipp -t: u1 or t1
    watchers: int = 0


def build_rows(plan: Plan, tcp: bool) -> list[PRow]:
    rows = []
    for transport, label in [("u1", "UDP")] + ([("t1", "TCP")] if tcp else []):
        rows.append(PRow(f"SUBSCRIBE/{label}", "subscribe", transport))
        for w in plan.fan_watchers:
            rows.append(PRow(f"NOTIFY x{w:,}/{label}", "fanout", transport, w))
    return rows


# --------------------------------------------------------------------------- servers

class PresenceKamailio(bench.Kamailio):
    port = KAMAILIO_PORT

    def start(self, row) -> None:
        self._check_port_free()
        rundir = self.workdir / "kamailio-run"
        rundir.mkdir(exist_ok=True)
        self.ctl_socket = rundir / "ctl.sock"
        cmd = bench.taskset(self.cpus) + [
            bench.KAMAILIO_BIN, "-f", str(HERE / "kamailio-presence.cfg"),
            "-L", bench.KAMAILIO_MODULES, "-DD", "-E", "-Y", str(rundir), "-w", str(rundir),
            "-m", "1024", "-M", "64",
            "-l", f"udp:{HOST}:{self.port}", "-l", f"tcp:{HOST}:{self.port}",
            "-n", str(self.count), "-N", str(self.count),
            "-A", f'CTL_SOCKET="unix:{self.ctl_socket}"']
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=self.workdir)
        self._wait_ports(15)
        time.sleep(0.5)  # children attach to the sockets right after the bind


    def shm_used(self) -> int | None:
        """Bytes of Kamailio's shared memory pool in use (its own accounting,
        `kamcmd core.shmmem`), or None."""
        try:
            out = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl_socket}", "core.shmmem"],
                                 capture_output=True, text=True, timeout=5).stdout
            for line in out.splitlines():
                if line.strip().startswith("used:"):
                    return int(line.split(":")[1])
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
        return None


class PresenceConfab(bench.Confab):
    port = CONFAB_PORT
    # The `presence:` knobs the bench sets; dropped (with a note) if this
    # confabd does not know them yet.
    presence_section = [
        "presence:",
        # Rate control would coalesce the paced PUBLISHes of the NOTIFY rows
        # into fewer NOTIFYs than Kamailio sends; the bench measures the cost
        # of delivering every change, so it is off.
        "  min_notify_interval_ms: {notify_interval_ms}",
        # The NOTIFY x1,000 row needs 1,000 watchers on one presentity (Kamailio
        # has no such limit); leave room above the default of 1,000.
        "  max_watchers_per_presentity: 2000",
    ]
    use_presence_section = True
    notify_interval_ms = 0  # --notify-interval-ms

    def write_config(self, row, path: Path, state: Path) -> None:
        super().write_config(row, path, state)
        text = path.read_text().replace("# Generated by tools/bench/bench.py",
                                        "# Generated by tools/bench/presence/presence_bench.py")
        # Confab serves presence for the users it knows (404 otherwise); bench.py's
        # YAML ends with the users: list, so the presentities are appended to it.
        # Watchers need not be users: same-domain watchers are allowed.
        assert text.rstrip().splitlines()[-1].lstrip().startswith("- { aor:")
        text += "".join(f"  - {{ aor: {name}@{DOMAIN}, password: {bench.PASSWORD} }}\n"
                        for name in all_presentities())
        if self.use_presence_section:
            text += "\n".join(self.presence_section).format(
                notify_interval_ms=self.notify_interval_ms) + "\n"
        path.write_text(text)

    def start(self, row) -> None:
        try:
            super().start(row)
        except RuntimeError:
            if not self.use_presence_section:
                raise
            # Most likely the config was refused for the presence section.
            self.stop()
            self.use_presence_section = False
            super().start(row)


def bench_row(row: PRow) -> bench.Row:
    """What bench.Confab.write_config reads of a row (no digest)."""
    return bench.Row(row.name, "presence", "", row.transport, False, 1)


# --------------------------------------------------------------------------- sipp

def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("SEQUENTIAL\n" + "\n".join(lines) + "\n")
    return path


def presentity(i: int) -> str:
    return f"pres{i:04d}"


def fan_presentity(watchers: int, rnd: int) -> str:
    return f"fan{watchers}r{rnd}"


def fan_step_presentity(watchers: int, k: int) -> str:
    return f"fan{watchers}s{k}"


def all_presentities() -> list[str]:
    """Every presentity a run may publish (Confab needs them as users)."""
    return (["probe"] + [presentity(i) for i in range(PRESENTITIES)] +
            [fan_presentity(w, r) for w in FAN_WATCHERS for r in range(MAX_ROUNDS)] +
            [fan_step_presentity(w, k) for w in FAN_WATCHERS for k in range(MAX_ROUNDS)])


def sipp_cmd(scenario: str, server_port: int, transport: str, port: int, cpus: str | None,
             extra: list[str]) -> list[str]:
    return bench.taskset(cpus) + [
        "sipp", "-sf", str(HERE / scenario), f"{HOST}:{server_port}", "-i", HOST,
        "-p", str(port), "-t", transport, "-buff_size", str(bench.SIPP_BUFFER),
        "-nostdin", "-nd", "-trace_logs", "-log_file", "sipp.log", "-trace_err",
        "-error_file", "errors.log", "-trace_stat", "-stf", "stats.csv", "-fd", "1"
        ] + ABORT_UNEXPECTED + extra


def read_stats(rundir: Path) -> tuple[int, int]:
    """(successful, failed) calls from sipp's -trace_stat file."""
    try:
        import csv
        with (rundir / "stats.csv").open() as f:
            table = list(csv.reader(f, delimiter=";"))
        col = {name: i for i, name in enumerate(table[0])}
        return int(table[-1][col["SuccessfulCall(C)"]]), int(table[-1][col["FailedCall(C)"]])
    except (OSError, IndexError, KeyError, ValueError):
        return 0, 0


def first_error(rundir: Path, name: str = "errors.log") -> str:
    """The first unexpected message or failure sipp logged, shortened for the report."""
    try:
        text = (rundir / name).read_text(errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        if "received 'SIP/2.0" in line:
            return "got " + line.split("received '", 1)[1].strip("'")[:40]
        if "timeout" in line.lower() or "Aborting" in line:
            return line.split(": ", 1)[-1][:80]
    return ""


def log_lines(path: Path, offset: int) -> tuple[list[list[str]], int]:
    """Complete lines of a growing sipp log from offset: (split lines, new offset)."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    return [ln.split() for ln in data[:end].decode(errors="replace").splitlines()], offset + end


def stamp(sec: str, usec: str) -> float:
    return float(sec) + float(usec) / 1e6


def server_idle(sid: int, quiet_s: float = 0.15, timeout: float = 10.0) -> None:
    """Returns once the server used < 2 % of a core over quiet_s (its NOTIFYs
    are out), or after timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = bench.CpuMeter(sid)
        time.sleep(quiet_s)
        if m.stop() < 0.02 * quiet_s:
            return


# --------------------------------------------------------------------------- results

@dataclass
class PResult:
    row: str
    server: str
    count: int
    rounds: list = field(default_factory=list)
    fixed: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    max_rate: int | None = None
    memory: dict | None = None
    error: str | None = None
    notes: list = field(default_factory=list)


class Side:
    """One server within a row: the server, its result, its per-row state."""

    def __init__(self, server: bench.Server, row: PRow, workdir: Path):
        self.server = server
        self.res = PResult(row.name, server.kind, server.count)
        tag = "".join(c if c.isalnum() else "-" for c in f"{row.name}-{server.kind}")
        self.rundir = workdir / tag
        self.rtts: list[float] = []
        self.mem_before: dict | None = None

    @property
    def ok(self) -> bool:
        return self.res.error is None

    def fail(self, msg: str, log) -> None:
        if self.res.error is None:
            self.res.error = msg
        log(f"  {self.server.label}: ERROR: {msg}")


def summarize(side: Side, tx_key: str = "successful_tx") -> None:
    rates = sorted(r["tx_per_core_s"] for r in side.res.rounds if r.get("tx_per_core_s"))
    tot_tx = sum(r[tx_key] for r in side.res.rounds)
    tot_cpu = sum(r["server_cpu_s"] for r in side.res.rounds)
    side.res.fixed.update({
        "tx_per_core_s": rates[len(rates) // 2] if rates else None,
        "tx_per_core_s_min": rates[0] if rates else None,
        "tx_per_core_s_max": rates[-1] if rates else None,
        "successful_tx": tot_tx, "server_cpu_s": round(tot_cpu, 4),
        "p50_ms": bench.percentile(side.rtts, 50), "p99_ms": bench.percentile(side.rtts, 99),
        "samples": len(side.rtts)})


# --------------------------------------------------------------------------- rows

class Runner:
    def __init__(self, plan: Plan, workdir: Path, sipp_cpus: str | None, log):
        self.plan = plan
        self.workdir = workdir
        self.ports = bench.PortAllocator(base=31000)
        self.sipp_cpus = sipp_cpus
        self.log = log
        self.watcher_serial = 0  # SUBSCRIBE row: every call is a new watcher

    # ---- helpers
    def publish(self, side: Side, row: PRow, names: list[str], modifies: int, pause_ms: int,
                tag: str, rate: int = 500) -> tuple[int, Path]:
        """Runs publish.xml, one call per presentity in names; returns
        (successful calls, rundir). Bounded by sipp -timeout and a hard wait."""
        rundir = side.rundir / tag
        rundir.mkdir(parents=True, exist_ok=True)
        csv_path = write_csv(rundir / "presentities.csv", [f"{n};{DOMAIN}" for n in names])
        planned = len(names) / rate + modifies * (pause_ms / 1000.0 + 0.005) + 5
        cmd = sipp_cmd("publish.xml", side.server.port, row.transport, self.ports(),
                       self.sipp_cpus,
                       ["-inf", str(csv_path), "-set", "modifies", str(modifies),
                        "-set", "pause_ms", str(pause_ms), "-d", str(pause_ms),
                        "-m", str(len(names)), "-r", str(rate),
                        "-l", str(max(10, len(names))), "-recv_timeout", "5000",
                        "-timeout", f"{int(planned + 30)}s",
                        "-timeout_error"])
        proc = subprocess.Popen(cmd, cwd=rundir, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=(rundir / "sipp.stderr").open("ab"), start_new_session=True)
        bench._wait4(proc, planned + 40)
        ok, _ = read_stats(rundir)
        return ok, rundir

    @staticmethod
    def publishes_answered(ok_calls: int, publishes: int, pubdir: Path) -> int:
        """PUBLISHes of a one-call publish.xml run that got their 200: all of
        them if the call succeeded, else those sent before the failing one."""
        if ok_calls:
            return publishes
        lines = log_lines(pubdir / "sipp.log", 0)[0]
        sent = {ln[1] for ln in lines if len(ln) == 4 and ln[0] == "pub"}
        return max(0, len(sent) - 1)

    def subscribe_run(self, side: Side, row: PRow, calls: int, rate: float, tag: str,
                      rtt: bool) -> bench.SippResult:
        lines = []
        for _ in range(calls):
            i = self.watcher_serial
            self.watcher_serial += 1
            lines.append(f"sub{i:07d};{presentity(i % PRESENTITIES)};{DOMAIN}")
        csv_path = write_csv(self.workdir / f"watchers-{tag}-{side.server.kind}.csv", lines)
        return bench.run_sipp("presence/subscribe.xml", side.server.port, row.transport, calls,
                              rate, side.rundir / tag, self.ports, self.sipp_cpus,
                              ["-inf", str(csv_path)] + ABORT_UNEXPECTED, rtt=rtt)

    # ---- SUBSCRIBE row
    def probe(self, s: Side, row: PRow) -> str | None:
        """One PUBLISH and one SUBSCRIBE; None when both work, else why not."""
        ok, rundir = self.publish(s, row, ["probe"], 0, 0, "probe-publish", rate=10)
        if ok != 1:
            return f"probe PUBLISH not answered 200 {first_error(rundir)}".strip()
        lines = [f"probe-watcher;probe;{DOMAIN}"]
        csv_path = write_csv(s.rundir / "probe-watcher.csv", lines)
        r = bench.run_sipp("presence/subscribe.xml", s.server.port, row.transport, 1, 10,
                           s.rundir / "probe-subscribe", self.ports, self.sipp_cpus,
                           ["-inf", str(csv_path), "-trace_err", "-error_file", "errors.log"]
                           + ABORT_UNEXPECTED, rtt=False)
        if r.successful != 1:
            return ("probe SUBSCRIBE not established "
                    f"{first_error(s.rundir / 'probe-subscribe')}").strip()
        return None

    def run_subscribe_row(self, sides: list[Side], row: PRow) -> None:
        plan = self.plan
        for s in sides:
            if not s.ok:
                continue
            ok, rundir = self.publish(s, row, [presentity(i) for i in range(PRESENTITIES)], 0, 0,
                                      "prepublish", rate=1000)
            if ok < PRESENTITIES:
                s.fail(f"PUBLISH failed: {ok}/{PRESENTITIES} initial PUBLISHes answered 200 "
                       f"{first_error(rundir)}".strip(), self.log)
        # "Before" is read once the PUBLISH transactions have ended too.
        live = [s for s in sides if s.ok]
        if live:
            time.sleep(SETTLE_S)
        for s in live:
            s.mem_before = bench.memory_kb(s.server.sid)
            if isinstance(s.server, PresenceKamailio):
                s.mem_before["shm_used"] = s.server.shm_used()

        calls = plan.sub_fixed // plan.rounds
        for i in range(plan.rounds):
            for s in sides:
                if not s.ok:
                    continue
                drops0 = bench.udp_rcvbuf_errors()
                meter = bench.CpuMeter(s.server.sid)
                r = self.subscribe_run(s, row, calls, plan.sub_fixed_rate, f"fixed-{i}", rtt=True)
                server_idle(s.server.sid)
                cpu = meter.stop()
                if not s.server.alive():
                    s.fail(f"{s.server.kind} died during the fixed run", self.log)
                    continue
                tx = 2 * r.successful
                s.res.rounds.append({
                    "calls": calls, "successful_calls": r.successful,
                    "failed_calls": r.failed + r.unfinished, "successful_tx": tx,
                    "udp_rcvbuf_errors": bench.udp_rcvbuf_errors() - drops0,
                    "server_cpu_s": round(cpu, 4), "wall_s": round(r.wall, 3),
                    "tx_per_core_s": round(tx / cpu) if cpu > 0 else None})
                s.rtts += r.rtts_ms
        # Memory is read once the transactions of the last round have ended
        # (Kamailio keeps a finished transaction on its wait timer for 5 s), so
        # what is left is the subscriptions' state. PSS is the figure bench.py
        # uses for registrations: it includes whatever the allocators keep.
        if any(s.mem_before is not None and s.ok and s.res.rounds for s in sides):
            time.sleep(SETTLE_S)
        for s in sides:
            if not s.res.rounds:
                continue
            summarize(s)
            subs = sum(r["successful_calls"] for r in s.res.rounds)
            s.res.fixed.update({
                "calls": calls * len(s.res.rounds), "successful_calls": subs,
                "failed_calls": sum(r["failed_calls"] for r in s.res.rounds),
                "udp_rcvbuf_errors": sum(r["udp_rcvbuf_errors"] for r in s.res.rounds),
                "offered_per_s": plan.sub_fixed_rate})
            if s.mem_before is not None and s.ok and subs:
                after = bench.memory_kb(s.server.sid)
                before = s.mem_before
                s.res.memory = {
                    "subscriptions": subs, "before": before, "after": after,
                    "pss_per_10k_kb": round((after["pss_kb"] - before["pss_kb"]) * 10000 / subs),
                    "rss_per_10k_kb": round((after["rss_kb"] - before["rss_kb"]) * 10000 / subs)}
                if isinstance(s.server, PresenceKamailio):
                    after["shm_used"] = s.server.shm_used()
                    if after["shm_used"] is not None and s.mem_before.get("shm_used") is not None:
                        s.res.memory["shm_per_10k_kb"] = round(
                            (after["shm_used"] - s.mem_before["shm_used"]) / 1024 * 10000 / subs)
            self.log(f"  {s.server.label} fixed: {subs} subscriptions, tx/core-s median "
                     f"{s.res.fixed['tx_per_core_s']} (rounds "
                     f"{[r['tx_per_core_s'] for r in s.res.rounds]}), p50 "
                     f"{bench.fmt_ms(s.res.fixed['p50_ms'])} p99 "
                     f"{bench.fmt_ms(s.res.fixed['p99_ms'])} ms, memory {s.res.memory}")

        # Rate search: new watchers every step (subscriptions only grow).
        for s in sides:
            if not s.ok:
                continue
            for rate in plan.sub_steps:
                n = max(1, int(rate * plan.sub_step_seconds))
                meter = bench.CpuMeter(s.server.sid)
                st = self.subscribe_run(s, row, n, rate, f"step-{rate}", rtt=False)
                cpu = meter.stop()
                planned = n / rate
                held = st.wall <= planned * 1.25 + 1.0
                passed = st.failure_ratio < bench.FAIL_LIMIT and held and s.server.alive()
                s.res.steps.append({
                    "offered_per_s": rate, "calls": n, "successful_calls": st.successful,
                    "failed_calls": st.failed + st.unfinished, "wall_s": round(st.wall, 3),
                    "server_cpu_s": round(cpu, 3), "rate_held": held, "passed": passed})
                self.log(f"  {s.server.label} step {rate} subs/s: {st.successful}/{n} ok, wall "
                         f"{st.wall:.2f}s (planned {planned:.2f}s), server cpu {cpu:.2f}s -> "
                         f"{'pass' if passed else 'FAIL'}")
                if not passed:
                    break
                s.res.max_rate = rate

    # ---- NOTIFY fan-out rows
    def fan_round(self, s: Side, row: PRow, rnd: int, rate: int | None = None) -> dict:
        """One round of a NOTIFY row at the offered NOTIFY rate (default: the
        plan's); rate search steps pass their rate and get their own presentity."""
        plan = self.plan
        w = row.watchers
        step = rate is not None
        rate = rate or plan.fan_rate
        pres = fan_step_presentity(w, rnd) if step else fan_presentity(w, rnd)
        publishes = max(3, plan.fan_notifies // w) if w > 1 else plan.closed_loop_publishes
        pause_ms = max(1, int(round(w * 1000.0 / rate))) if w > 1 else 0
        rundir = s.rundir / (f"step-{rate}" if step else f"round-{rnd}")
        rundir.mkdir(parents=True, exist_ok=True)
        csv_path = write_csv(rundir / "watchers.csv",
                             [f"watch{j:05d};{pres};{DOMAIN}" for j in range(w)])
        watch_rate = min(plan.watch_rate, max(10, w * 2))
        publish_s = publishes * (pause_ms / 1000.0 + 0.002)
        budget = w / watch_rate + publish_s + 60
        wcmd = sipp_cmd("watch.xml", s.server.port, row.transport, self.ports(), self.sipp_cpus,
                        ["-inf", str(csv_path), "-m", str(w), "-r", str(watch_rate),
                         "-l", str(w + 10), "-timeout", f"{int(budget)}s", "-timeout_error"])
        watchers = subprocess.Popen(wcmd, cwd=rundir, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL,
                                    stderr=(rundir / "sipp.stderr").open("ab"),
                                    start_new_session=True)
        wlog = rundir / "sipp.log"
        offset = 0
        established = 0
        notes: dict[str, list[float]] = {}
        deadline = time.time() + w / watch_rate + 15
        while established < w and time.time() < deadline and watchers.poll() is None:
            lines, offset = log_lines(wlog, offset)
            established += sum(1 for ln in lines if ln and ln[0] == "established")
            time.sleep(0.02)
        if established < w:
            bench.stop_session(watchers, grace=3)
            raise RuntimeError(f"{established}/{w} watchers subscribed "
                               f"{first_error(rundir)}".strip())

        expected = w * publishes
        meter = bench.CpuMeter(s.server.sid)
        t0 = time.time()
        ok_calls, pubdir = self.publish(s, row, [pres], publishes - 1, pause_ms,
                                        f"round-{rnd}/pub")
        ok_pub = self.publishes_answered(ok_calls, publishes, pubdir)
        # Collect NOTIFYs until all are in or none came for a while (bounded).
        received = 0
        last_change = time.time()
        deadline = time.time() + 15
        while received < expected and time.time() < deadline and \
                time.time() - last_change < 1.0:
            lines, offset = log_lines(wlog, offset)
            for ln in lines:
                if ln and ln[0] == "notify":
                    received += 1
                    if len(ln) == 5:
                        notes.setdefault(ln[2], []).append(stamp(ln[3], ln[4]))
            if lines:
                last_change = time.time()
            time.sleep(0.02)
        server_idle(s.server.sid)
        cpu = meter.stop()
        wall = time.time() - t0
        # The watchers leave after WATCHER_IDLE_S without a NOTIFY (un-SUBSCRIBE).
        bench._wait4(watchers, budget)
        lines, offset = log_lines(wlog, offset)
        for ln in lines:
            if ln and ln[0] == "notify":
                received += 1
                if len(ln) == 5:
                    notes.setdefault(ln[2], []).append(stamp(ln[3], ln[4]))
        pubs: dict[str, float] = {}
        first_pub = last_note = None
        for ln in log_lines(pubdir / "sipp.log", 0)[0]:
            if len(ln) == 4 and ln[0] == "pub":
                key = str(int(float(ln[1])))
                pubs[key] = stamp(ln[2], ln[3])
                first_pub = pubs[key] if first_pub is None else min(first_pub, pubs[key])
        delays = []
        for key, times in notes.items():
            if key in pubs:
                delays += [(t - pubs[key]) * 1000.0 for t in times]
            last_note = max(times + ([last_note] if last_note else []))
        span = (last_note - first_pub) if (first_pub and last_note) else None
        # How far the last NOTIFY trailed the last PUBLISH: the server keeping
        # up, whatever pace the publisher (sipp) managed.
        lag = (last_note - max(pubs.values())) if (pubs and last_note) else None
        tx = ok_pub + received
        result = {
            "watchers": w, "offered_notifies_per_s": rate, "publishes": publishes,
            "publishes_ok": ok_pub,
            "pause_ms": pause_ms, "notifies_expected": expected, "notifies": received,
            "successful_tx": tx, "server_cpu_s": round(cpu, 4), "wall_s": round(wall, 3),
            "delivery_s": round(span, 3) if span else None,
            "lag_s": round(lag, 3) if lag is not None else None,
            "notifies_per_s": round(received / span) if span else None,
            "notifies_per_core_s": round(received / cpu) if cpu > 0 else None,
            "tx_per_core_s": round(tx / cpu) if cpu > 0 else None,
            "publish_s_planned": round((publishes - 1) * pause_ms / 1000.0, 3)}
        if step:
            s.res.steps.append(result)
        else:
            s.res.rounds.append(result)
            s.rtts += delays
        self.log(f"  {s.server.label} {'step ' + str(rate) + '/s' if step else 'round ' + str(rnd)}"
                 f": {ok_pub}/{publishes} PUBLISH ok, {received}/{expected} NOTIFYs, server cpu "
                 f"{cpu:.3f}s, {result['notifies_per_s']} NOTIFY/s delivered, "
                 f"tx/core-s {result['tx_per_core_s']}")
        if ok_pub == 0:
            raise RuntimeError(f"no PUBLISH answered 200 {first_error(pubdir)}".strip())
        if ok_pub < publishes:
            # The publisher stops at the first failed PUBLISH; the round counts
            # what was delivered up to there and the report says what failed.
            s.res.notes.append(f"{'step ' + str(rate) if step else 'round ' + str(rnd)}: "
                               f"{ok_pub}/{publishes} PUBLISHes answered 200; "
                               f"{first_error(pubdir)}")
        return result

    def run_fan_row(self, sides: list[Side], row: PRow) -> None:
        for rnd in range(self.plan.rounds):
            for s in sides:
                if not s.ok:
                    continue
                try:
                    self.fan_round(s, row, rnd)
                except Exception as e:  # noqa: BLE001 - the report shows it, the run goes on
                    s.fail(str(e), self.log)
                if not s.server.alive():
                    s.fail(f"{s.server.kind} died", self.log)
        for s in sides:
            if not s.res.rounds:
                continue
            summarize(s)
            rs = s.res.rounds
            per_s = sorted(r["notifies_per_s"] for r in rs if r.get("notifies_per_s"))
            s.res.fixed.update({
                "notifies": sum(r["notifies"] for r in rs),
                "notifies_expected": sum(r["notifies_expected"] for r in rs),
                "publishes": sum(r["publishes"] for r in rs),
                "publishes_ok": sum(r["publishes_ok"] for r in rs),
                "notifies_per_s": per_s[len(per_s) // 2] if per_s else None,
                "notifies_per_core_s": round(sum(r["notifies"] for r in rs) /
                                             max(1e-9, sum(r["server_cpu_s"] for r in rs))),
                "offered_per_s": self.plan.fan_rate if row.watchers > 1 else "closed loop"})

        # Rate search (W > 1; W = 1 is closed loop already): higher offered
        # NOTIFY rates until one is not delivered in full, in time.
        if row.watchers <= 1:
            return
        for s in sides:
            if not s.ok or not s.res.rounds:
                continue
            for k, rate in enumerate(self.plan.fan_steps):
                try:
                    r = self.fan_round(s, row, k, rate)
                except Exception as e:  # noqa: BLE001 - a failed step ends the search
                    self.log(f"  {s.server.label} step {rate}/s: {e}")
                    break
                kept_up = r["lag_s"] is not None and r["lag_s"] <= FAN_MAX_LAG_S
                r["passed"] = (r["notifies"] >= r["notifies_expected"] and
                               r["publishes_ok"] == r["publishes"] and kept_up)
                if not r["passed"]:
                    break
                best = s.res.max_rate or 0
                s.res.max_rate = max(best, r["notifies_per_s"] or 0)


# --------------------------------------------------------------------------- report

def cell_tpc(f: dict) -> str:
    tpc = f.get("tx_per_core_s")
    txt = bench.fmt_int(tpc)
    if tpc and f.get("tx_per_core_s_min") != f.get("tx_per_core_s_max"):
        txt += f" ({f['tx_per_core_s_min'] / 1000:.1f}k-{f['tx_per_core_s_max'] / 1000:.1f}k)"
    return txt


def render(results: list[PResult], meta: dict) -> str:
    plan = meta["plan"]
    out = [f"# Presence: Confab vs Kamailio, {meta['date']}", ""]
    out.append(f"- machine: {meta['cpu']}, {meta['cores']} cores, {meta['kernel']}; sipp "
               f"{meta['sipp']}, Kamailio {meta['kamailio']} (presence + presence_xml, all in "
               f"memory), Confab {meta['confab']}")
    out.append(f"- mode: {meta['mode']}; {meta['pinning']}")
    out.append(f"- SUBSCRIBE: fixed run of {plan['sub_fixed']:,} new subscriptions offered at "
               f"{plan['sub_fixed_rate']:,}/s in {plan['rounds']} rounds alternating between the "
               f"servers, spread over {PRESENTITIES:,} presentities that have published; a "
               "subscription = SUBSCRIBE answered 2xx + first NOTIFY answered 200 (2 "
               "transactions); then a rate search "
               f"({', '.join(str(x) for x in plan['sub_steps'])} subscriptions/s, "
               f"{plan['sub_step_seconds']} s each, stop at >= 0.1 % failed or a rate not held)")
    out.append(f"- NOTIFY xW: W watchers subscribed to one presentity, which then PUBLISHes "
               f"(SIP-If-Match modify, a new note each time) paced to offer "
               f"{plan['fan_rate']:,} NOTIFYs/s (a pause of W/{plan['fan_rate'] // 1000} ms "
               "between PUBLISHes; W=1: closed loop, the next PUBLISH when the last 200 is "
               f"in), about {plan['fan_notifies']:,} NOTIFYs per round (W=1: "
               f"{plan['closed_loop_publishes']:,} PUBLISHes), {plan['rounds']} rounds "
               "alternating between the servers; transactions = PUBLISHes + NOTIFYs delivered "
               "(answered 200 by the watchers' sipp); NOTIFY/s delivered = NOTIFYs / (first "
               "PUBLISH sent -> last NOTIFY in), median round; then (W > 1) a search: "
               f"{', '.join(str(x) for x in plan['fan_steps'])} NOTIFYs/s offered, stop at the "
               "first step with a NOTIFY missing or the last NOTIFY more than "
               f"{FAN_MAX_LAG_S:.0f} s after the last PUBLISH; max = the highest delivered "
               "rate of a passing step (bounded by how fast sipp publishes)")
    out.append("- tx/core-s = successful SIP transactions / server CPU seconds (all server "
               "processes and threads, /proc; median round, range in brackets); "
               "p50/p99: SUBSCRIBE sent -> subscription established (SUBSCRIBE rows), "
               "PUBLISH sent -> NOTIFY received at each watcher (NOTIFY rows)")
    out.append("")
    out.append("| row | server | tx/core-s | throughput | p50 ms | p99 ms | failures | "
               "Confab/Kamailio tx/core-s |")
    out.append("|---|---|---|---|---|---|---|---|")
    by = {(r.row, r.server): r for r in results}
    for row in meta["rows"]:
        for server in ("Kamailio", "Confab"):
            r = by.get((row, server))
            if r is None:
                continue
            f = r.fixed
            if r.error and r.error.startswith(NOT_IMPLEMENTED) and not r.rounds:
                out.append(f"| {row} | {server} | {NOT_IMPLEMENTED} | - | - | - | - | - |")
                continue
            if row.startswith("SUBSCRIBE"):
                thr = (f"max {bench.fmt_int(r.max_rate)} subs/s" if r.max_rate else
                       (f"< {plan['sub_steps'][0]:,} subs/s" if r.steps else "-"))
                if r.max_rate and r.max_rate == plan["sub_steps"][-1]:
                    thr += " (top step)"
                fails = f.get("failed_calls")
                failtxt = "-" if fails is None else f"{fails}/{f.get('calls')}"
            else:
                thr = "-"
                if f.get("notifies"):
                    offered = f.get("offered_per_s")
                    load = ("closed loop" if offered == "closed loop" else
                            f"offered {bench.fmt_int(offered)}")
                    thr = f"{bench.fmt_int(f.get('notifies_per_s'))} NOTIFY/s delivered ({load})"
                    if r.steps:
                        thr += (f"; max {bench.fmt_int(r.max_rate)} NOTIFY/s" if r.max_rate else
                                "; no search step passed")
                        top = r.steps[-1]
                        if r.max_rate and top.get("passed") and \
                                len(r.steps) == len(plan["fan_steps"]):
                            thr += " (top step)"
                    thr += f"; {bench.fmt_int(f.get('notifies_per_core_s'))} NOTIFY/core-s"
                miss = (f.get("notifies_expected", 0) - f.get("notifies", 0))
                failtxt = (f"{miss}/{f.get('notifies_expected')} NOTIFYs missing"
                           if f.get("notifies_expected") is not None else "-")
                if f.get("publishes_ok", 0) < f.get("publishes", 0):
                    failtxt += (f", {f['publishes'] - f['publishes_ok']}/{f['publishes']} "
                                "PUBLISHes not sent or failed")
                    if r.notes:
                        failtxt += f" ({r.notes[0]})"
            if f.get("udp_rcvbuf_errors"):
                failtxt += f" ({f['udp_rcvbuf_errors']} UDP drops)"
            if r.error:
                failtxt += f" ERROR: {r.error}"
            ratio = "-"
            if server == "Confab":
                k = by.get((row, "Kamailio"))
                ratio = bench.ratio(f.get("tx_per_core_s"),
                                    k.fixed.get("tx_per_core_s") if k else None)
            out.append(f"| {row} | {server} | {cell_tpc(f)} | {thr} | "
                       f"{bench.fmt_ms(f.get('p50_ms'))} | {bench.fmt_ms(f.get('p99_ms'))} | "
                       f"{failtxt} | {ratio} |")
    out.append("")
    out.append("## Confab/Kamailio per row")
    out.append("")
    out.append("| row | tx/core-s | throughput (max subs/s or NOTIFY/s delivered) | "
               "memory per 10k subscriptions (PSS) |")
    out.append("|---|---|---|---|")
    for row in meta["rows"]:
        k, c = by.get((row, "Kamailio")), by.get((row, "Confab"))
        if k is None and c is None:
            continue
        if c is None or (c.error and c.error.startswith(NOT_IMPLEMENTED) and not c.rounds):
            out.append(f"| {row} | {NOT_IMPLEMENTED} | {NOT_IMPLEMENTED} | "
                       f"{NOT_IMPLEMENTED if row.startswith('SUBSCRIBE') else '-'} |")
            continue
        kf, cf = (k.fixed if k else {}), c.fixed
        tpc = bench.ratio(cf.get("tx_per_core_s"), kf.get("tx_per_core_s"))
        if row.startswith("SUBSCRIBE"):
            thr = bench.ratio(c.max_rate, k.max_rate if k else None)
            mem = "-"
            if c.memory and k and k.memory and c.memory["pss_per_10k_kb"] > 0:
                # Less memory is better: Kamailio / Confab, so > 1x means Confab ahead.
                mem = f"{k.memory['pss_per_10k_kb'] / c.memory['pss_per_10k_kb']:.2f}x less"
        else:
            if c.max_rate and k and k.max_rate:
                thr = bench.ratio(c.max_rate, k.max_rate) + " (max)"
            else:
                thr = bench.ratio(cf.get("notifies_per_s"), kf.get("notifies_per_s"))
            per_core = bench.ratio(cf.get("notifies_per_core_s"), kf.get("notifies_per_core_s"))
            thr += f"; NOTIFY/core-s {per_core}"
            mem = "-"
        out.append(f"| {row} | {tpc} | {thr} | {mem} |")
    out.append("")
    out.append("## Memory per 10,000 subscriptions (SUBSCRIBE fixed run)")
    out.append("")
    out.append(f"Read {SETTLE_S:.0f} s after the last traffic (`--settle`; Kamailio's finished "
               "transactions are gone after 5 s, Confab's UDP server transactions after 32 s). "
               "PSS/RSS: the server's processes from /proc (as bench.py does for "
               "registrations; includes memory the allocators keep after a peak). Kamailio "
               "shm: its own count of shared memory in use (`kamcmd core.shmmem`), i.e. the "
               "subscription state itself.")
    out.append("")
    out.append("| row | server | subscriptions | PSS before | PSS after | PSS per 10k | "
               "RSS per 10k | Kamailio shm in use per 10k |")
    out.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r.memory:
            m = r.memory
            out.append(f"| {r.row} | {r.server} | {m['subscriptions']:,} | "
                       f"{m['before']['pss_kb'] / 1024:.1f} MiB | "
                       f"{m['after']['pss_kb'] / 1024:.1f} MiB | "
                       f"{bench.fmt_int(m['pss_per_10k_kb'])} kB | "
                       f"{bench.fmt_int(m['rss_per_10k_kb'])} kB | "
                       f"{bench.fmt_int(m.get('shm_per_10k_kb'))}"
                       f"{' kB' if 'shm_per_10k_kb' in m else ''} |")
        elif r.row.startswith("SUBSCRIBE") and r.server == "Confab" and r.error and \
                r.error.startswith(NOT_IMPLEMENTED):
            out.append(f"| {r.row} | Confab | {NOT_IMPLEMENTED} | - | - | - | - | - |")
    if meta.get("notes"):
        out += ["", "## Notes", ""] + [f"- {n}" for n in meta["notes"]]
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main

def main() -> int:
    global SETTLE_S
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run, under 2 minutes")
    ap.add_argument("--confab-bin", default=os.environ.get("CONFAB_BIN"),
                    help="confabd to benchmark (default: $CONFAB_BIN)")
    ap.add_argument("--servers", default="kamailio,confab", help="comma list of kamailio, confab")
    ap.add_argument("--rows", default="", help="comma list of row-name substrings (default: all)")
    ap.add_argument("--tcp", action="store_true", help="add the same rows over one TCP connection")
    ap.add_argument("--workers", type=int, default=1, help="Confab workers / Kamailio children")
    ap.add_argument("--rounds", type=int, help="rounds of the fixed runs (median reported)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    ap.add_argument("--nice", type=int, default=0,
                    help="run servers and sipp at this nice value (e.g. -10 on a machine "
                         "shared with builds; needs root for negative values)")
    ap.add_argument("--notify-interval-ms", type=int, default=0,
                    help="Confab's presence.min_notify_interval_ms in the bench (default 0: "
                         "every change notified, as Kamailio does)")
    ap.add_argument("--settle", type=float, default=SETTLE_S,
                    help="seconds between the last traffic and a memory reading (default "
                         f"{SETTLE_S:.0f}: Kamailio's finished transactions are gone; Confab keeps "
                         "a UDP server transaction for Timer J, 32 s)")
    ap.add_argument("--out", default=str(HERE.parent / "results" / "presence-latest.md"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    PresenceConfab.notify_interval_ms = args.notify_interval_ms
    SETTLE_S = max(0.0, min(120.0, args.settle))
    bench.NICE = args.nice  # bench.taskset() reads it for every command it prefixes
    plan = Plan(**{**(QUICK if args.quick else FULL).__dict__})
    if args.rounds:
        plan.rounds = max(1, min(MAX_ROUNDS, args.rounds))
    rows = build_rows(plan, args.tcp)
    if args.rows:
        wanted = [w.strip().lower() for w in args.rows.split(",") if w.strip()]
        rows = [r for r in rows if any(w in r.name.lower() for w in wanted)]
        if not rows:
            print(f"presence_bench: no row matches {args.rows!r}", file=sys.stderr)
            return 2
    servers = [s.strip().lower() for s in args.servers.split(",") if s.strip()]
    notes: list[str] = []
    for tool in ("sipp", "taskset"):
        if not shutil.which(tool):
            print(f"presence_bench: {tool} not found (tools/install-deps.sh bench)",
                  file=sys.stderr)
            return 2
    if "kamailio" in servers and not os.path.exists(bench.KAMAILIO_BIN):
        print("presence_bench: kamailio not found (tools/install-deps.sh bench)", file=sys.stderr)
        return 2
    confab_bin = Path(args.confab_bin).resolve() if args.confab_bin else None
    confab_missing = "confab" in servers and (not confab_bin or not os.access(confab_bin, os.X_OK))
    confab_why = f"no runnable confabd ({confab_bin or 'CONFAB_BIN unset'})"
    if confab_missing:
        notes.append(f"Confab not benchmarked: {confab_why}")

    ncpu = os.cpu_count() or 1
    pin = not args.no_pin and ncpu >= 2
    if pin and args.workers == 1:
        server_cpus, sipp_cpus = str(ncpu - 1), "0"
    elif pin:
        server_cpus, sipp_cpus = f"0-{ncpu - 1}", "0"
    else:
        server_cpus = sipp_cpus = None
    pin_desc = ("no pinning" if not pin else
                f"sipp (watchers and publisher) on CPU 0, server on CPU(s) {server_cpus}")
    pin_desc += f"; workers/children {args.workers}"
    pin_desc += f"; nice {args.nice}" if args.nice else "; default priority"
    try:
        pin_desc += f"; load average at start {os.getloadavg()[0]:.1f}"
    except OSError:
        pass

    workdir = Path(tempfile.mkdtemp(prefix="confab-pbench-"))
    started = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", flush=True)

    log(f"work dir {workdir}; rows {[r.name for r in rows]}; servers {servers}")
    runner = Runner(plan, workdir, sipp_cpus, log)
    if "confab" in servers and not confab_missing:
        # Confab's presence service may not be there yet: one PUBLISH and one
        # SUBSCRIBE tell; without them its rows say "n/a (not implemented)".
        probe_row = rows[0]
        side = Side(PresenceConfab(args.workers, server_cpus, workdir, confab_bin, 0),
                    PRow("probe", "probe", probe_row.transport), workdir)
        try:
            side.server.start(bench_row(probe_row))
            why = runner.probe(side, probe_row)
        except Exception as e:  # noqa: BLE001
            why = f"confabd did not start: {e}"
        finally:
            side.server.stop()
        if why:
            confab_missing = True
            confab_why = why
            notes.append(f"Confab not benchmarked: {why}")
            log(f"Confab: {NOT_IMPLEMENTED}: {why}")
    results: list[PResult] = []
    confab_config_note = False
    for row in rows:
        sides: list[Side] = []
        for kind in servers:
            if kind == "kamailio":
                server: bench.Server = PresenceKamailio(args.workers, server_cpus, workdir)
            else:
                server = PresenceConfab(args.workers, server_cpus, workdir,
                                        confab_bin or Path("/nonexistent"), 0)
            side = Side(server, row, workdir)
            sides.append(side)
            if kind == "confab" and confab_missing:
                side.res.error = f"{NOT_IMPLEMENTED}: {confab_why}"
                continue
            try:
                server.start(bench_row(row))
                if isinstance(server, PresenceConfab) and not server.use_presence_section:
                    confab_config_note = True
            except Exception as e:  # noqa: BLE001
                side.fail(str(e), log)
        log(f"{row.name}: {' vs '.join(s.server.label for s in sides)}")
        try:
            if row.kind == "subscribe":
                runner.run_subscribe_row(sides, row)
            else:
                runner.run_fan_row(sides, row)
        finally:
            for s in sides:
                rc = s.server.stop()
                if s.server.kind == "Confab" and rc not in (0, None, -15) and s.ok:
                    s.res.error = f"confabd exited {rc} on SIGTERM"
        results.extend(s.res for s in sides)

    if confab_config_note:
        notes.append("this confabd refused the bench's `presence:` section "
                     f"({'; '.join(PresenceConfab.presence_section[1:]).strip()}); it ran with "
                     "its defaults, so its NOTIFY rate control may coalesce paced PUBLISHes")
    confab_ver = "-"
    if confab_bin and os.access(confab_bin, os.X_OK):
        built = dt.datetime.fromtimestamp(confab_bin.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        tree = bench.tool_version(["git", "-C", str(bench.REPO), "describe", "--always", "--dirty"],
                                  lambda s: s.strip() or "?")
        confab_ver = f"{confab_bin} built {built}, tree {tree}"
    meta = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": bench.cpu_model(), "cores": ncpu, "kernel": platform.release(),
        "sipp": bench.tool_version(["sipp", "-v"], lambda s: next(
            (w for w in s.split() if w.startswith("v3")), "?")),
        "kamailio": bench.tool_version([bench.KAMAILIO_BIN, "-v"],
                                       lambda s: s.split()[2] if len(s.split()) > 2 else "?"),
        "confab": confab_ver, "mode": "quick" if args.quick else "full",
        "plan": plan.__dict__, "pinning": pin_desc, "rows": [r.name for r in rows],
        "notes": notes, "elapsed_s": round(time.time() - started, 1)}
    notes.append(f"whole run took {meta['elapsed_s']} s; raw data in results/presence-latest.json")
    md = render(results, meta)
    print()
    print(md)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    out.with_suffix(".json").write_text(json.dumps(
        {"meta": meta, "results": [r.__dict__ for r in results]}, indent=1, default=str))
    if args.keep:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    hard = [r for r in results if r.error and not r.error.startswith(NOT_IMPLEMENTED)]
    return 1 if hard else 0


if __name__ == "__main__":
    sys.exit(main())
