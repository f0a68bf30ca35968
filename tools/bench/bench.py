#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side SIP benchmark: Confab vs Kamailio, driven by sipp on loopback.

For every row (REGISTER, REGISTER+digest, MESSAGE relay; each over UDP and
over one TCP connection) and every worker/child count (1 and 2) it starts
Kamailio and Confab side by side and runs:

  1. a fixed run: N transactions at a fixed rate, the same for every server,
     in rounds that alternate between the servers; the server's CPU time (all
     its processes and threads, from /proc) gives the primary figure,
     successful transactions per server core-second (median round), and
     sipp's per-request response times give p50/p99;
  2. for each server, a bounded search for the highest offered rate with
     < 0.1 % failed calls.

The REGISTER/UDP fixed run also gives memory per 10,000 registrations: the
PSS sum (/proc/<pid>/smaps_rollup) of the server's processes before and after
registering N distinct AORs.

Every load is bounded in count and time (sipp -m, -timeout, -recv_timeout, and
a hard subprocess timeout), and everything runs on 127.0.0.1 only.
Standard library only; see README.md for the method and its caveats.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")

KAMAILIO_BIN = "/usr/sbin/kamailio"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
DOMAIN = "example.test"
PASSWORD = "secret"
HOST = "127.0.0.1"

KAMAILIO_PORT = 15060
CONFAB_PORT = 15070

FAIL_LIMIT = 0.001  # "< 0.1 % failures"
SIPP_BUFFER = 4 * 1024 * 1024  # socket buffers: bursts must not be lost in sipp


# --------------------------------------------------------------------------- rows

@dataclass(frozen=True)
class Row:
    name: str
    kind: str          # "register" or "message"
    scenario: str      # UAC scenario file in tools/bench
    transport: str     # sipp -t value: u1 (UDP, one socket) or t1 (one TCP connection)
    digest: bool       # REGISTER challenged with digest
    tx_per_call: int   # SIP transactions per sipp call


ROWS = [
    Row("REGISTER/UDP", "register", "register.xml", "u1", False, 1),
    Row("REGISTER/TCP", "register", "register.xml", "t1", False, 1),
    Row("REGISTER+digest/UDP", "register", "register_auth.xml", "u1", True, 2),
    Row("REGISTER+digest/TCP", "register", "register_auth.xml", "t1", True, 2),
    Row("MESSAGE relay/UDP", "message", "message_uac.xml", "u1", False, 1),
    Row("MESSAGE relay/TCP", "message", "message_uac.xml", "t1", False, 1),
]


@dataclass
class Plan:
    fixed_tx: int            # transactions in the fixed run
    fixed_rate: int          # transactions/s offered in the fixed run
    step_rates: list[int]    # transactions/s offered by the max-rate search
    step_seconds: float      # length of one search step
    users: int               # distinct AORs in the REGISTER injection file (>= fixed-run calls)
    fixed_rounds: int = 3    # the fixed run is split in rounds; tx/core-s is the median round


FULL = Plan(fixed_tx=30000, fixed_rate=5000,
            step_rates=[5000, 8000, 12000, 16000, 20000, 25000], step_seconds=3.0, users=30000)
QUICK = Plan(fixed_tx=6000, fixed_rate=5000,
             step_rates=[4000, 10000], step_seconds=1.0, users=6000)


def digest_users(plan: Plan) -> int:
    """Users known to the servers in the digest rows: one per fixed-run call
    (the rate search wraps around the same injection file)."""
    return max(1, plan.fixed_tx // 2)


# --------------------------------------------------------------------------- /proc

def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    return data[data.rindex(")") + 2:].split()


def session_pids(sid: int) -> list[int]:
    """All live processes whose session id is sid (the server was started with
    setsid, so this is the server and every process it forked)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        # fields[0] is state (field 3), fields[3] is session (field 6)
        if fields and int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _cpu_sample(sid: int) -> tuple[int, int | None]:
    """(clock ticks, nanoseconds) of CPU used so far by every process of the
    session. Ticks: utime+stime from /proc/<pid>/stat (a process's stat sums
    its threads). Nanoseconds: the scheduler's run time of each live thread,
    /proc/<pid>/task/<tid>/schedstat, the same quantity at a finer grain (a
    round of a few thousand transactions uses only tens of ticks); None when
    the kernel does not provide it."""
    ticks = 0
    ns: int | None = 0
    for pid in session_pids(sid):
        fields = _stat_fields(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime (14), stime (15)
        if ns is None:
            continue
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    ns += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            ns = None
    return ticks, ns


def _thread_ns(sid: int) -> dict[tuple[int, int], tuple[str, int, int]]:
    """Run time (ns) and kernel-mode ticks (stime) of each live thread of the
    session, keyed by (pid, tid), with the thread's name: where a server's CPU
    goes (worker, store, ...) and how much of it is system calls."""
    out: dict[tuple[int, int], tuple[str, int, int]] = {}
    for pid in session_pids(sid):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    ns = int(f.read().split()[0])
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stime = int(f.read().rsplit(")", 1)[1].split()[12])  # field 15
                out[(pid, int(tid))] = (name, ns, stime)
        except (OSError, ValueError, IndexError):
            continue
    return out


class CpuMeter:
    """Server CPU seconds between start() and stop(); by_thread: seconds per
    thread name (threads of one name summed), from the per-thread run times."""

    def __init__(self, sid: int):
        self.sid = sid
        self.threads0 = _thread_ns(sid)
        self.t0, self.n0 = _cpu_sample(sid)
        self.ticks_s = self.ns_s = 0.0
        self.by_thread: dict[str, float] = {}
        self.kernel_by_thread: dict[str, float] = {}  # of by_thread, in system calls (ticks)

    def stop(self) -> float:
        t1, n1 = _cpu_sample(self.sid)
        for key, (name, ns, stime) in _thread_ns(self.sid).items():
            _, ns0, stime0 = self.threads0.get(key, (name, 0, 0))
            self.by_thread[name] = round(self.by_thread.get(name, 0.0) + (ns - ns0) / 1e9, 4)
            self.kernel_by_thread[name] = round(
                self.kernel_by_thread.get(name, 0.0) + (stime - stime0) / CLK_TCK, 3)
        self.ticks_s = (t1 - self.t0) / CLK_TCK
        if n1 is not None and self.n0 is not None:
            self.ns_s = (n1 - self.n0) / 1e9
            # A thread that ended meanwhile takes its run time with it from the
            # per-thread sum, never from the process's stat: then trust stat.
            if self.ns_s >= self.ticks_s - 2.0 / CLK_TCK - 0.02 * self.ticks_s:
                return self.ns_s
        return self.ticks_s


def memory_kb(sid: int) -> dict[str, int]:
    """PSS and RSS sums over the session's processes (kB). PSS shares Kamailio's
    shared memory segment fairly between its processes."""
    pss = rss = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            pass
    return {"pss_kb": pss, "rss_kb": rss}


def port_bound(port: int, tcp: bool) -> bool:
    want = f":{port:04X}"
    path = "/proc/net/tcp" if tcp else "/proc/net/udp"
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[1].endswith(want) and (not tcp or parts[3] == "0A"):
                return True
    return False


# --------------------------------------------------------------------------- processes

NICE = 0  # set from --nice: scheduling priority of the server and sipp


def taskset(cpus: str | None) -> list[str]:
    """Command prefix: CPU pinning and, with --nice, a raised priority (the
    machine may be shared with builds; see README)."""
    prefix = ["nice", "-n", str(NICE)] if NICE else []
    return prefix + (["taskset", "-c", cpus] if cpus and shutil.which("taskset") else [])


def stop_session(proc: subprocess.Popen, grace: float = 10.0) -> int | None:
    """SIGTERM the process we started, wait, then SIGKILL its session if needed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
    # Kamailio's children exit on their own after the main process; give them
    # a moment, then make sure none of the session is left behind.
    deadline = time.time() + 3
    while session_pids(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    if session_pids(proc.pid):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.returncode


class Server:
    kind = ""
    port = 0

    def __init__(self, count: int, cpus: str | None, workdir: Path):
        self.count = count
        self.cpus = cpus
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.kind}-{count}.log"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.count_name} {self.count}"

    @property
    def sid(self) -> int:
        assert self.proc
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        rc = stop_session(self.proc)
        self.proc = None
        return rc

    def _check_port_free(self) -> None:
        # Confab's listeners use SO_REUSEPORT: a stale server on the port would
        # silently share the load, so refuse to start rather than mismeasure.
        if port_bound(self.port, False) or port_bound(self.port, True):
            raise RuntimeError(f"port {self.port} is already in use; stop whatever holds it")

    def _wait_ports(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.kind} exited at start-up; see {self.log_path}")
            if port_bound(self.port, False) and port_bound(self.port, True):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not listen on {self.port} within {timeout}s")


class Kamailio(Server):
    kind = "Kamailio"
    count_name = "children"
    port = KAMAILIO_PORT

    def start(self, row: Row) -> None:
        self._check_port_free()
        rundir = self.workdir / "kamailio-run"
        rundir.mkdir(exist_ok=True)
        cmd = taskset(self.cpus) + [
            KAMAILIO_BIN, "-f", str(HERE / "kamailio.cfg"), "-L", KAMAILIO_MODULES,
            "-DD", "-E", "-Y", str(rundir), "-w", str(rundir),
            "-m", "512", "-M", "32",
            "-l", f"udp:{HOST}:{self.port}", "-l", f"tcp:{HOST}:{self.port}",
            "-n", str(self.count), "-N", str(self.count)]
        if row.digest:
            cmd += ["-A", "WITH_AUTH"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_path.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=self.workdir)
        self._wait_ports(15)
        time.sleep(0.5)  # children attach to the sockets right after the bind


class Confab(Server):
    kind = "Confab"
    count_name = "workers"
    port = CONFAB_PORT

    def __init__(self, count: int, cpus: str | None, workdir: Path, binary: Path, users: int):
        super().__init__(count, cpus, workdir)
        self.binary = binary
        self.users = users  # static users in the digest rows

    def write_config(self, row: Row, path: Path, state: Path) -> None:
        lines = [
            "# Generated by tools/bench/bench.py",
            "server:",
            f"  workers: {self.count}",
            "  log_level: warn",
            f"  var_dir: {state}",
            "domains:",
            f"  - {DOMAIN}",
            "listeners:",
            f"  - {{ transport: udp, address: {HOST}, port: {self.port} }}",
            f"  - {{ transport: tcp, address: {HOST}, port: {self.port} }}",
            "storage:",
            f"  path: {state}/confab.db",
            "auth:",
            # SIPp 3.6 computes MD5 digests only (see README).
            "  algorithms: [MD5]",
            f"  register: {'true' if row.digest else 'false'}",
            "  requests: false",
            "limits:",
            "  max_connections_per_source: 1024",
            "  requests_per_second_per_source: 0",
            "im:",
            "  flood_max_messages: 0   # one sipp is one sender: no per-sender flood limit",
            "users:",
        ]
        # Without digest Confab registers any AOR of its domains, as Kamailio
        # does; the digest rows need the users (all with the bench password).
        names = ["alice", "bob"] + ([user_name(i) for i in range(self.users)] if row.digest else [])
        for name in names:
            lines.append(f"  - {{ aor: {name}@{DOMAIN}, password: {PASSWORD} }}")
        path.write_text("\n".join(lines) + "\n")

    def start(self, row: Row) -> None:
        self._check_port_free()
        state = self.workdir / f"confab-state-{self.count}-{int(time.time() * 1000)}"
        state.mkdir()
        self.db_path = state / "confab.db"
        config = state / "confab.yaml"
        self.write_config(row, config, state)
        ports = state / "ports.json"
        cmd = taskset(self.cpus) + [str(self.binary), "--config", str(config),
                                    "--ports-file", str(ports)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_path.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True, cwd=state)
        deadline = time.time() + 60  # static users are hashed at load
        while time.time() < deadline:
            if not self.alive():
                raise RuntimeError(f"confabd exited at start-up; see {self.log_path}")
            if ports.exists() and ports.stat().st_size > 0:
                try:
                    json.loads(ports.read_text())
                    break
                except ValueError:
                    pass
            time.sleep(0.05)
        else:
            raise RuntimeError(f"confabd wrote no ports file within 60s; see {self.log_path}")
        self._wait_ports(5)


# --------------------------------------------------------------------------- sipp

def user_name(i: int) -> str:
    return f"user{i:05d}"


def write_users_csv(path: Path, users: int, first: int = 0) -> None:
    # field0 user; field1 password; field2 domain; field3 the [authentication]
    # keyword itself (SIPp 3.6 does not expand [fieldN] inside [authentication]).
    with path.open("w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(first, first + users):
            u = user_name(i)
            f.write(f"{u};{PASSWORD};{DOMAIN};[authentication username={u} password={PASSWORD}]\n")


def round_csv_name(digest: bool, i: int) -> str:
    return f"users{'-digest' if digest else ''}-round{i}.csv"


def write_round_csvs(workdir: Path, plan: "Plan") -> None:
    """The fixed run's rounds each register fresh AORs: round i gets its own
    slice of the users."""
    for digest, total in ((False, plan.fixed_tx), (True, digest_users(plan))):
        n = total // max(1, plan.fixed_rounds)
        for i in range(max(1, plan.fixed_rounds)):
            write_users_csv(workdir / round_csv_name(digest, i), n, i * n)


def udp_rcvbuf_errors() -> int:
    """System-wide count of UDP datagrams dropped for a full receive buffer."""
    try:
        with open("/proc/net/snmp") as f:
            lines = [line.split() for line in f if line.startswith("Udp:")]
        return int(lines[1][lines[0].index("RcvbufErrors")])
    except (OSError, IndexError, ValueError):
        return 0


class PortAllocator:
    """Fresh local ports for every sipp run, so that a TCP port in TIME_WAIT or
    a late UDP retransmission never meets the next run."""

    def __init__(self, base: int = 20000):
        self.next = base

    def __call__(self) -> int:
        while True:
            port = self.next
            self.next += 1
            if self.next > 30000:
                self.next = 20000
            if not port_bound(port, True) and not port_bound(port, False):
                return port


@dataclass
class SippResult:
    rc: int
    wall: float
    planned_calls: int
    successful: int
    failed: int
    retransmissions: int
    sipp_cpu: float
    rtts_ms: list[float] = field(default_factory=list)

    @property
    def unfinished(self) -> int:
        return max(0, self.planned_calls - self.successful - self.failed)

    @property
    def failure_ratio(self) -> float:
        return (self.failed + self.unfinished) / max(1, self.planned_calls)


def _wait4(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Waits for proc; returns (exit code, CPU seconds it used). Kills its
    session when the timeout passes."""
    deadline = time.time() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime
        if time.time() > deadline:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return -9, usage.ru_utime + usage.ru_stime
        time.sleep(0.02)


def run_sipp(scenario: str, server_port: int, transport: str, calls: int, rate: float,
             rundir: Path, ports: PortAllocator, cpus: str | None, extra: list[str],
             rtt: bool = True) -> SippResult:
    rundir.mkdir(parents=True, exist_ok=True)
    duration = calls / max(rate, 1)
    stats = rundir / "stats.csv"
    cmd = taskset(cpus) + [
        "sipp", "-sf", str(HERE / scenario), f"{HOST}:{server_port}",
        "-i", HOST, "-p", str(ports()), "-t", transport,
        "-m", str(calls), "-r", str(int(rate)), "-rp", "1000", "-l", "20000",
        "-recv_timeout", "5000", "-timeout", f"{int(duration + 20)}s", "-timeout_error",
        "-trace_stat", "-stf", str(stats), "-fd", "1",
        "-buff_size", str(SIPP_BUFFER), "-nostdin", "-nd"] + extra
    logs = rundir / "rtt.log"
    if rtt:
        # The scenarios log gettimeofday() before each request and at its final
        # response: microsecond response times (sipp's own RTD clock is coarse).
        cmd += ["-trace_logs", "-log_file", str(logs)]
    start = time.time()
    proc = subprocess.Popen(cmd, cwd=rundir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=(rundir / "sipp.stderr").open("ab"),
                            start_new_session=True)
    rc, sipp_cpu = _wait4(proc, duration + 40)
    wall = time.time() - start
    successful = failed = retrans = 0
    try:
        with stats.open() as f:
            table = list(csv.reader(f, delimiter=";"))
        header, last = table[0], table[-1]
        col = {name: i for i, name in enumerate(header)}
        successful = int(last[col["SuccessfulCall(C)"]])
        failed = int(last[col["FailedCall(C)"]])
        retrans = int(last[col["Retransmissions(C)"]])
    except (OSError, IndexError, KeyError, ValueError):
        pass
    rtts: list[float] = []
    if rtt and logs.exists():
        with logs.open() as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5 and parts[0] == "rtt":
                    try:
                        a = float(parts[1]) + float(parts[2]) / 1e6
                        b = float(parts[3]) + float(parts[4]) / 1e6
                    except ValueError:
                        continue
                    rtts.append((b - a) * 1000.0)
    return SippResult(rc, wall, calls, successful, failed, retrans, sipp_cpu, rtts)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


class Receiver:
    """The MESSAGE rows' UAS: one sipp that registers bob (Contact = its own
    address) and answers relayed MESSAGEs with 200 as out-of-call traffic."""

    def __init__(self, server: Server, row: Row, rundir: Path, ports: PortAllocator,
                 cpus: str | None):
        rundir.mkdir(parents=True, exist_ok=True)
        self.port = ports()
        cmd = taskset(cpus) + [
            "sipp", "-sf", str(HERE / "register_uas.xml"), "-oocsf", str(HERE / "message_uas.xml"),
            f"{HOST}:{server.port}", "-s", "bob", "-au", "bob", "-ap", PASSWORD,
            "-i", HOST, "-p", str(self.port), "-t", row.transport, "-m", "1",
            "-timeout", "900s", "-buff_size", str(SIPP_BUFFER), "-nostdin", "-nd"]
        self.proc = subprocess.Popen(cmd, cwd=rundir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=(rundir / "uas.stderr").open("ab"),
                                     start_new_session=True)
        self.cpu = 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, self.cpu = _wait4(self.proc, 5)


# --------------------------------------------------------------------------- one configuration

@dataclass
class ConfigResult:
    row: str
    server: str
    count: int
    pinning: str
    fixed: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    max_rate: int | None = None
    max_rate_note: str = ""
    memory: dict | None = None
    durable_bindings: int | None = None  # Confab REGISTER rows: bindings in SQLite after shutdown
    registered_aors: int | None = None   # distinct AORs the REGISTER runs registered
    error: str | None = None


class Config:
    """One server configuration under test within a row: the server, its
    result, and its per-run state."""

    def __init__(self, server: Server, row: Row, workdir: Path, sipp_cpus: str | None):
        self.server = server
        self.res = ConfigResult(row.name, server.kind, server.count,
                                f"server cpus {server.cpus or 'any'}, "
                                f"sipp cpus {sipp_cpus or 'any'}")
        tag = "".join(c if c.isalnum() else "-" for c in f"{row.name}-{server.kind}-{server.count}")
        self.rundir = workdir / tag
        self.receiver: Receiver | None = None
        self.mem_before: dict | None = None
        self.per_round: list[dict] = []
        self.rtts: list[float] = []
        self.tot = {"ok": 0, "failed": 0, "retrans": 0, "cpu": 0.0, "sipp_cpu": 0.0,
                    "wall": 0.0, "drops": 0}

    @property
    def ok(self) -> bool:
        return self.res.error is None

    def fail(self, e: Exception, log) -> None:
        if self.res.error is None:
            self.res.error = str(e)
        log(f"  {self.server.label}: ERROR: {e}")


def run_row(configs: list[Config], row: Row, plan: Plan, workdir: Path, ports: PortAllocator,
            sipp_cpus: str | None, log) -> None:
    """Runs one row against several server configurations at once: all are
    started side by side (each on its own port; an idle server costs nothing),
    the fixed-run rounds alternate between them (A1 B1 A2 B2 A3 B3) so that the
    compared figures see the same machine conditions, then each gets its
    max-rate search, then all are stopped."""
    if row.kind == "register":
        extra = ["-inf", str(workdir / ("users-digest.csv" if row.digest else "users.csv"))]
    else:
        extra = ["-s", "bob"]

    # Start ------------------------------------------------------------------
    for c in configs:
        try:
            c.server.start(row)
            if row.kind == "message":
                c.receiver = Receiver(c.server, row, c.rundir / "uas", ports, sipp_cpus)
                # Probe until bob is registered and a MESSAGE gets through (bounded).
                ok = False
                for attempt in range(10):
                    time.sleep(0.3)
                    probe = run_sipp(row.scenario, c.server.port, row.transport, 1, 10,
                                     c.rundir / f"probe{attempt}", ports, sipp_cpus, extra,
                                     rtt=False)
                    if probe.successful == 1:
                        ok = True
                        break
                    if c.receiver.proc.poll() is not None:
                        break
                if not ok:
                    raise RuntimeError("MESSAGE probe failed: bob not registered or relay broken")
            if row.name == "REGISTER/UDP":
                c.mem_before = memory_kb(c.server.sid)
        except Exception as e:  # noqa: BLE001 - the report shows it and the run goes on
            c.fail(e, log)

    # Fixed run, rounds alternating between the configurations ----------------
    # Each round registers fresh AORs (REGISTER rows); the primary figure is
    # the median round, so one disturbed round does not make it.
    calls_total = plan.fixed_tx // row.tx_per_call
    rounds = max(1, plan.fixed_rounds)
    calls = calls_total // rounds
    rate = plan.fixed_rate / row.tx_per_call
    for i in range(rounds):
        for c in configs:
            if not c.ok:
                continue
            try:
                round_extra = extra
                if row.kind == "register":
                    round_extra = ["-inf", str(workdir / round_csv_name(row.digest, i))]
                drops0 = udp_rcvbuf_errors()
                meter = CpuMeter(c.server.sid)
                r = run_sipp(row.scenario, c.server.port, row.transport, calls, rate,
                             c.rundir / f"fixed-{i}", ports, sipp_cpus, round_extra)
                cpu = meter.stop()
                drops = udp_rcvbuf_errors() - drops0
                if not c.server.alive():
                    raise RuntimeError(f"{c.server.kind} died during the fixed run; "
                                       f"see {c.server.log_path}")
                ok_tx = r.successful * row.tx_per_call
                c.per_round.append({
                    "calls": calls, "successful_tx": ok_tx,
                    "failed_calls": r.failed + r.unfinished, "udp_rcvbuf_errors": drops,
                    "server_cpu_s": round(cpu, 4),
                    "server_cpu_stat_s": round(meter.ticks_s, 3),
                    "server_cpu_schedstat_s": round(meter.ns_s, 4),
                    "server_cpu_by_thread_s": meter.by_thread,
                    "server_kernel_by_thread_s": meter.kernel_by_thread,
                    "tx_per_core_s": round(ok_tx / cpu) if cpu > 0 else None})
                c.rtts += r.rtts_ms
                c.tot["ok"] += r.successful
                c.tot["failed"] += r.failed + r.unfinished
                c.tot["retrans"] += r.retransmissions
                c.tot["cpu"] += cpu
                c.tot["sipp_cpu"] += r.sipp_cpu
                c.tot["wall"] += r.wall
                c.tot["drops"] += drops
            except Exception as e:  # noqa: BLE001
                c.fail(e, log)

    for c in configs:
        if not c.per_round:
            continue
        tot = c.tot
        round_rates = sorted(x["tx_per_core_s"] for x in c.per_round if x["tx_per_core_s"])
        ok_tx = tot["ok"] * row.tx_per_call
        c.res.fixed = {
            "calls": calls * len(c.per_round), "rounds": c.per_round,
            "offered_tx_per_s": plan.fixed_rate, "wall_s": round(tot["wall"], 3),
            "successful_calls": tot["ok"], "failed_calls": tot["failed"],
            "retransmissions": tot["retrans"], "successful_tx": ok_tx,
            "udp_rcvbuf_errors": tot["drops"],
            "server_cpu_s": round(tot["cpu"], 3), "sipp_cpu_s": round(tot["sipp_cpu"], 3),
            "tx_per_core_s": round_rates[len(round_rates) // 2] if round_rates else None,
            "tx_per_core_s_min": round_rates[0] if round_rates else None,
            "tx_per_core_s_max": round_rates[-1] if round_rates else None,
            "tx_per_core_s_overall": round(ok_tx / tot["cpu"]) if tot["cpu"] > 0 else None,
            "p50_ms": percentile(c.rtts, 50), "p99_ms": percentile(c.rtts, 99),
            "rtt_samples": len(c.rtts),
        }
        if c.mem_before is not None and c.ok:
            time.sleep(1.0)
            mem_after = memory_kb(c.server.sid)
            regs = tot["ok"]  # distinct AORs: one per call, fresh users in every round
            c.res.memory = {
                "registrations": regs, "before": c.mem_before, "after": mem_after,
                "pss_per_10k_kb": round((mem_after["pss_kb"] - c.mem_before["pss_kb"]) * 10000
                                        / regs) if regs else None,
                "rss_per_10k_kb": round((mem_after["rss_kb"] - c.mem_before["rss_kb"]) * 10000
                                        / regs) if regs else None,
            }
        log(f"  {c.server.label} fixed: {ok_tx} tx ok, {tot['failed']} calls failed, "
            f"server cpu {tot['cpu']:.2f}s, tx/core-s median {c.res.fixed['tx_per_core_s']} "
            f"(rounds {round_rates}), p50 {fmt_ms(c.res.fixed['p50_ms'])} "
            f"p99 {fmt_ms(c.res.fixed['p99_ms'])} ms, sipp cpu {tot['sipp_cpu']:.2f}s, "
            f"wall {tot['wall']:.2f}s, udp drops {tot['drops']}")

    # Max-rate search, one configuration after the other -----------------------
    for c in configs:
        if not c.ok:
            continue
        res = c.res
        try:
            for step_rate in plan.step_rates:
                step_calls = max(1, int(step_rate * plan.step_seconds / row.tx_per_call))
                step_rate_calls = step_rate / row.tx_per_call
                meter = CpuMeter(c.server.sid)
                st = run_sipp(row.scenario, c.server.port, row.transport, step_calls,
                              step_rate_calls, c.rundir / f"step-{step_rate}", ports, sipp_cpus,
                              extra, rtt=False)
                cpu = meter.stop()
                planned = step_calls / step_rate_calls
                held = st.wall <= planned * 1.25 + 1.0
                passed = st.failure_ratio < FAIL_LIMIT and held and c.server.alive()
                res.steps.append({
                    "offered_tx_per_s": step_rate, "calls": step_calls,
                    "wall_s": round(st.wall, 3), "successful_calls": st.successful,
                    "failed_calls": st.failed + st.unfinished,
                    "achieved_tx_per_s": round(st.successful * row.tx_per_call / st.wall)
                    if st.wall else 0,
                    "server_cpu_s": round(cpu, 3), "sipp_cpu_s": round(st.sipp_cpu, 3),
                    "rate_held": held, "passed": passed})
                log(f"  {c.server.label} step {step_rate}/s: {st.successful}/{step_calls} ok, "
                    f"{st.failed + st.unfinished} failed, wall {st.wall:.2f}s "
                    f"(planned {planned:.2f}s), server cpu {cpu:.2f}s, "
                    f"sipp cpu {st.sipp_cpu:.2f}s -> {'pass' if passed else 'FAIL'}")
                if not c.server.alive():
                    raise RuntimeError(f"{c.server.kind} died during the rate search")
                if not passed:
                    break
                res.max_rate = step_rate
            if res.max_rate == plan.step_rates[-1]:
                res.max_rate_note = "highest step offered"
        except Exception as e:  # noqa: BLE001
            c.fail(e, log)

    # Stop -------------------------------------------------------------------------
    for c in configs:
        res = c.res
        if c.receiver:
            c.receiver.stop()
        rc = c.server.stop()
        if rc not in (0, None, -signal.SIGTERM) and c.server.kind == "Confab" and not res.error:
            res.error = f"confabd exited {rc} on SIGTERM"
        if row.kind == "register" and res.fixed:
            # Fixed-run rounds take consecutive slices of the users; every
            # search step starts again from the first user of the same file.
            csv_users = digest_users(plan) if row.digest else plan.users
            most = max([res.fixed.get("successful_calls", 0)] +
                       [st["successful_calls"] for st in res.steps])
            res.registered_aors = min(csv_users, most)
        if isinstance(c.server, Confab) and row.kind == "register" and res.fixed:
            res.durable_bindings = count_bindings(c.server.db_path)
            log(f"  {c.server.label}: AORs with a binding in SQLite after shutdown: "
                f"{res.durable_bindings} (registered: {res.registered_aors})")


def count_bindings(db: Path) -> int | None:
    """Bindings Confab left in its database once stopped: the REGISTER rows'
    "bindings durable" check (read-only; None if the schema is not as expected)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(DISTINCT aor) FROM bindings").fetchone()[0])
        finally:
            con.close()
    except (sqlite3.Error, TypeError):
        return None


# --------------------------------------------------------------------------- report

def fmt_ms(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 1 else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def fmt_int(v) -> str:
    return "-" if v is None else f"{v:,}"


def ratio(a, b) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def render_cpu_split(results: list[ConfigResult], meta: dict) -> list[str]:
    """Server CPU per call (a digest pair, a REGISTER, a relayed MESSAGE) by thread
    name over the fixed run's rounds, with the part spent in the kernel (system
    calls, mostly the loopback sends): where the time goes, side by side."""
    rows = []
    for r in results:
        rounds = r.fixed.get("rounds") or []
        calls = sum(x["calls"] for x in rounds if x.get("server_cpu_by_thread_s"))
        if not calls:
            continue
        used: dict[str, float] = {}
        kernel: dict[str, float] = {}
        for x in rounds:
            for name, sec in (x.get("server_cpu_by_thread_s") or {}).items():
                used[name] = used.get(name, 0.0) + sec
            for name, sec in (x.get("server_kernel_by_thread_s") or {}).items():
                kernel[name] = kernel.get(name, 0.0) + sec
        parts = [f"{name} {used[name] / calls * 1e6:.1f} ({kernel.get(name, 0.0) / calls * 1e6:.1f})"
                 for name in sorted(used, key=lambda n: -used[n]) if used[name] / calls >= 0.5e-6]
        total = sum(used.values()) / calls * 1e6
        total_kernel = sum(kernel.values()) / calls * 1e6
        rows.append(f"| {r.row} | {r.server} | {r.count} | {total:.1f} ({total_kernel:.1f}) | "
                    f"{'; '.join(parts)} |")
    if not rows:
        return []
    return ["", "## Server CPU per call by thread (fixed run)", "",
            "Microseconds of server CPU per sipp call (a digest REGISTER call is the 401 and "
            "the 200), in brackets the part spent in the kernel (stime ticks, 10 ms grain); "
            "threads of one name summed.", "",
            "| row | server | workers/children | total µs (kernel) | by thread: µs (kernel) |",
            "|---|---|---|---|---|"] + rows


def render(results: list[ConfigResult], meta: dict) -> str:
    out = []
    out.append(f"# Confab vs Kamailio, {meta['date']}")
    out.append("")
    out.append(f"- machine: {meta['cpu']}, {meta['cores']} cores, {meta['kernel']}; "
               f"sipp {meta['sipp']}, Kamailio {meta['kamailio']}, Confab {meta['confab']}")
    out.append(f"- mode: {meta['mode']}; fixed run {meta['plan']['fixed_tx']:,} transactions "
               f"offered at {meta['plan']['fixed_rate']:,} tx/s in {meta['plan']['fixed_rounds']} "
               "rounds (tx/core-s is the median round, the range in brackets); rate search steps "
               f"{', '.join(str(x) for x in meta['plan']['step_rates'])} tx/s, "
               f"{meta['plan']['step_seconds']} s each, stop at the first step with >= 0.1% failed "
               "calls or a rate sipp could not hold")
    out.append(f"- pinning: {meta['pinning']}")
    out.append("- tx/core-s = successful SIP transactions / server CPU seconds (CPU time of all "
               "server processes and threads from /proc: per-thread schedstat run time, checked "
               "against utime+stime of /proc/<pid>/stat); a digest REGISTER is 2 transactions "
               "(401 + 200); a MESSAGE relay is 1 (UAC -> server -> UAS -> 200 back)")
    out.append("- p50/p99: per-request response time seen by sipp in the fixed run "
               "(MESSAGE: includes the UAS hop); failures: failed calls / calls in the fixed run, "
               "with the UDP datagrams the kernel dropped for full receive buffers meanwhile "
               "(system-wide count)")
    out.append("")
    out.append("| row | server | workers/children | tx/core-s | max rate (<0.1% fail) | p50 ms | "
               "p99 ms | failures | Confab/Kamailio (same count) |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    by = {(r.row, r.server, r.count): r for r in results}
    for row in meta["rows"]:
        for server in ("Kamailio", "Confab"):
            for count in meta["counts"][server]:
                r = by.get((row, server, count))
                if r is None:
                    continue
                f = r.fixed
                tpc = f.get("tx_per_core_s")
                tpc_txt = fmt_int(tpc)
                if tpc and f.get("tx_per_core_s_min") != f.get("tx_per_core_s_max"):
                    tpc_txt += (f" ({f['tx_per_core_s_min'] / 1000:.1f}k-"
                                f"{f['tx_per_core_s_max'] / 1000:.1f}k)")
                same = "-"
                if server == "Confab":
                    k = by.get((row, "Kamailio", count))
                    same = ratio(tpc, k.fixed.get("tx_per_core_s") if k else None)
                mr = fmt_int(r.max_rate) if r.max_rate else (
                    f"< {meta['plan']['step_rates'][0]:,}" if r.steps else "-")
                if r.max_rate_note:
                    mr += " (top step)"
                fails = f.get("failed_calls")
                failtxt = "-" if fails is None else f"{fails}/{f.get('calls')}"
                if f.get("udp_rcvbuf_errors"):
                    failtxt += f" ({f['udp_rcvbuf_errors']} UDP drops)"
                if r.error:
                    failtxt += f" ERROR: {r.error}"
                name = f"{server} {'children' if server == 'Kamailio' else 'workers'}"
                out.append(f"| {row} | {server} | {count} | {tpc_txt} | {mr} | "
                           f"{fmt_ms(f.get('p50_ms'))} | {fmt_ms(f.get('p99_ms'))} | {failtxt} | "
                           f"{same} |")
    out.append("")
    out.append("## Confab/Kamailio per row, best configuration each side (tx/core-s)")
    out.append("")
    out.append("| row | Kamailio best | Confab best | ratio | target 2x |")
    out.append("|---|---|---|---|---|")
    for row in meta["rows"]:
        def best(server):
            cands = [(r.fixed.get("tx_per_core_s") or 0, r.count) for r in results
                     if r.row == row and r.server == server and not r.error]
            return max(cands) if cands else (None, None)
        kb, kc = best("Kamailio")
        cb, cc = best("Confab")
        rt = (cb / kb) if kb and cb else None
        out.append(f"| {row} | {fmt_int(kb)} ({kc}) | {fmt_int(cb)} ({cc}) | "
                   f"{ratio(cb, kb)} | {'-' if rt is None else ('met' if rt >= 2 else 'NOT met')} |")
    out.extend(render_cpu_split(results, meta))
    out.append("")
    out.append("## Memory per 10,000 registrations (REGISTER/UDP fixed run)")
    out.append("")
    out.append("| server | workers/children | AORs registered | PSS before | PSS after | "
               "PSS per 10k | RSS per 10k |")
    out.append("|---|---|---|---|---|---|---|")
    for r in results:
        if r.memory:
            m = r.memory
            out.append(f"| {r.server} | {r.count} | {m['registrations']:,} | "
                       f"{m['before']['pss_kb'] / 1024:.1f} MiB | {m['after']['pss_kb'] / 1024:.1f} MiB | "
                       f"{fmt_int(m['pss_per_10k_kb'])} kB | {fmt_int(m['rss_per_10k_kb'])} kB |")
    durable = [r for r in results if r.server == "Confab" and r.row.startswith("REGISTER")
               and r.fixed]
    if durable:
        out.append("")
        out.append("Confab durability check (AORs with a binding in its SQLite database after "
                   "SIGTERM; every registered AOR should be there): " + "; ".join(
                       f"{r.row} w{r.count}: {fmt_int(r.durable_bindings)} of "
                       f"{fmt_int(r.registered_aors)}" for r in durable))
    if meta.get("notes"):
        out.append("")
        out.append("## Notes")
        out.append("")
        for n in meta["notes"]:
            out.append(f"- {n}")
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main

def tool_version(cmd: list[str], pick) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return pick(out.stdout + out.stderr)
    except (OSError, subprocess.SubprocessError):
        return "?"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="~2 minute smoke run")
    ap.add_argument("--confab-bin", default=os.environ.get("CONFAB_BIN"),
                    help="confabd to benchmark (default: $CONFAB_BIN)")
    ap.add_argument("--servers", default="kamailio,confab",
                    help="comma list of kamailio, confab")
    ap.add_argument("--rows", default="",
                    help="comma list of row names or substrings (default: all)")
    ap.add_argument("--counts", default="1,2", help="workers/children counts (default 1,2)")
    ap.add_argument("--fixed-tx", type=int, help="transactions in the fixed run")
    ap.add_argument("--fixed-rate", type=int, help="offered tx/s in the fixed run")
    ap.add_argument("--steps", help="comma list of tx/s for the max-rate search")
    ap.add_argument("--step-seconds", type=float, help="seconds per search step")
    ap.add_argument("--rounds", type=int, help="rounds of the fixed run (median reported)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    ap.add_argument("--nice", type=int, default=0,
                    help="run servers and sipp at this nice value (e.g. -10 on a machine "
                         "shared with builds; needs root for negative values)")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.md"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    global NICE
    NICE = args.nice
    plan = QUICK if args.quick else FULL
    plan = Plan(**{**plan.__dict__})
    if args.fixed_tx:
        plan.fixed_tx = args.fixed_tx
    if args.fixed_rate:
        plan.fixed_rate = args.fixed_rate
    if args.steps:
        plan.step_rates = [int(x) for x in args.steps.split(",") if x]
    if args.step_seconds:
        plan.step_seconds = args.step_seconds
    if args.rounds:
        plan.fixed_rounds = args.rounds
    plan.users = max(plan.users, plan.fixed_tx)

    counts = [int(x) for x in args.counts.split(",") if x]
    servers = [s.strip().lower() for s in args.servers.split(",") if s.strip()]
    rows = ROWS
    if args.rows:
        wanted = [w.strip().lower() for w in args.rows.split(",") if w.strip()]
        def matches(w: str, name: str) -> bool:
            # An exact row name picks that row; otherwise every "/"-separated
            # part must occur in the name ("message/tcp", "digest", "udp").
            exact = [r.name.lower() for r in ROWS if r.name.lower() == w]
            if exact:
                return name == w
            return all(part in name for part in w.split("/"))
        rows = [r for r in ROWS if any(matches(w, r.name.lower()) for w in wanted)]
        if not rows:
            print(f"bench: no row matches {args.rows!r}; rows: "
                  + ", ".join(r.name for r in ROWS), file=sys.stderr)
            return 2
    notes: list[str] = []

    for tool in ("sipp", "taskset"):
        if not shutil.which(tool):
            print(f"bench: {tool} not found (tools/install-deps.sh bench)", file=sys.stderr)
            return 2
    if "kamailio" in servers and not os.path.exists(KAMAILIO_BIN):
        print("bench: kamailio not found (tools/install-deps.sh bench)", file=sys.stderr)
        return 2
    confab_bin = Path(args.confab_bin).resolve() if args.confab_bin else None
    if "confab" in servers and (not confab_bin or not os.access(confab_bin, os.X_OK)):
        notes.append(f"Confab not benchmarked: no runnable confabd ({confab_bin or 'CONFAB_BIN unset'})")
        servers = [s for s in servers if s != "confab"]

    ncpu = os.cpu_count() or 1
    pin = not args.no_pin and ncpu >= 2

    def cpus_for(count: int) -> tuple[str | None, str | None]:
        """(server cpus, sipp cpus). One worker: server alone on the last CPU,
        sipp on CPU 0. More workers: the server may use every CPU, sipp stays
        on CPU 0 (on 2 cores it then shares CPU 0 with one worker)."""
        if not pin:
            return None, None
        if count == 1:
            return str(ncpu - 1), "0"
        return f"0-{ncpu - 1}", "0"

    pin_desc = ("no pinning" if not pin else
                f"sipp (UAC and UAS) on CPU 0; 1 worker/child: server on CPU {ncpu - 1}; "
                f"2+: server on CPUs 0-{ncpu - 1} (shares CPU 0 with sipp)")
    pin_desc += f"; nice {NICE}" if NICE else "; default priority"
    try:
        pin_desc += f"; load average at start {os.getloadavg()[0]:.1f}"
    except OSError:
        pass

    tree_at_start = tool_version(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                 lambda s: s.strip() or "?")
    workdir = Path(tempfile.mkdtemp(prefix="confab-bench-"))
    ports = PortAllocator()
    write_users_csv(workdir / "users.csv", plan.users)
    write_users_csv(workdir / "users-digest.csv", digest_users(plan))
    write_round_csvs(workdir, plan)
    started = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", flush=True)

    log(f"work dir {workdir}; {len(rows)} rows x servers {servers} x counts {counts}")
    results: list[ConfigResult] = []
    meta_counts = {"Kamailio": [], "Confab": []}
    for row in rows:
        # Configurations with the same worker/child count run side by side,
        # their fixed-run rounds alternating (see run_row).
        for count in counts:
            server_cpus, sipp_cpus = cpus_for(count)
            configs: list[Config] = []
            for kind in servers:
                if kind == "kamailio":
                    server: Server = Kamailio(count, server_cpus, workdir)
                else:
                    assert confab_bin
                    server = Confab(count, server_cpus, workdir, confab_bin, digest_users(plan))
                if count not in meta_counts[server.kind]:
                    meta_counts[server.kind].append(count)
                configs.append(Config(server, row, workdir, sipp_cpus))
            log(f"{row.name}: {' vs '.join(c.server.label for c in configs)}")
            run_row(configs, row, plan, workdir, ports, sipp_cpus, log)
            results.extend(c.res for c in configs)

    confab_ver = "-"
    if confab_bin and "confab" in servers:
        built = dt.datetime.fromtimestamp(confab_bin.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        confab_ver = f"{confab_bin} built {built}, tree {tree_at_start}"
    meta = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu_model(), "cores": ncpu, "kernel": platform.release(),
        "sipp": tool_version(["sipp", "-v"], lambda s: next(
            (w for w in s.split() if w.startswith("v3")), "?")),
        "kamailio": tool_version([KAMAILIO_BIN, "-v"], lambda s: s.split()[2] if len(s.split()) > 2
                                 else "?"),
        "confab": confab_ver,
        "mode": "quick" if args.quick else "full",
        "plan": plan.__dict__, "pinning": pin_desc,
        "rows": [r.name for r in rows], "counts": meta_counts, "notes": notes,
        "elapsed_s": round(time.time() - started, 1),
    }
    notes.append(f"whole run took {meta['elapsed_s']} s; raw data in results/latest.json")
    notes.append("digest: SIPp 3.6 computes MD5 only, so both servers offer MD5 in this benchmark; "
                 f"{digest_users(plan):,} users share the password 'secret' (Confab: static "
                 "users in its YAML; Kamailio: pv_www_authenticate with that password)")
    md = render(results, meta)
    print()
    print(md)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    out.with_suffix(".json").write_text(json.dumps(
        {"meta": meta, "results": [r.__dict__ for r in results]}, indent=1, default=str))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"kept {workdir}")
    return 0 if all(r.error is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
