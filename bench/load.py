"""Two load generators that give the same figures: wrk (preferred) and a Python fallback.

Both keep N connections busy for a fixed time, one request in flight per connection, and time a
request from writing it to reading the whole answer (connecting is not timed). Requests that
finish after the deadline are not counted. An answer of 400 or more, or a socket error, is an
error; every status code seen is kept so a failing row can say what it got.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Spec:
    """What to send. With `sequences`, connection i walks sequences[i] (path, body) in order."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    sequences: list[list[tuple[str, str]]] | None = None


@dataclass
class Result:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: Counter
    socket_errors: int = 0
    exhausted: int = 0  # connections that ran out of their sequence before the end

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 400) + self.socket_errors

    def codes(self) -> str:
        return ", ".join(f"{code}×{n}" for code, n in sorted(self.statuses.items())) or "none"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def measure(
    tool: str,
    host: str,
    port: int,
    spec: Spec,
    duration: float,
    connections: int,
    wrk_threads: int = 2,
) -> Result:
    if tool == "wrk":
        return run_wrk(host, port, spec, duration, connections, wrk_threads)
    return run_python(host, port, spec, duration, connections)


# --- wrk -----------------------------------------------------------------------------------

SAFE = re.compile(r"^[\x20-\x7e]*$")

LUA_COMMON = """
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

statuses = {}
exhausted = 0
answered = 0
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      io.write(string.format("BENCH_STATUS %d %d\\n", code, n))
    end
    io.write(string.format("BENCH_EXHAUSTED %d\\n", thread:get("exhausted")))
  end
end
"""

# The next item is the one after the last answered: wrk calls request() once more than it sends
# (to check the script, on thread 1), and with one connection per thread nothing else is in flight.
LUA_SEQUENCE = """
function request()
  local sequence = sequences[tid]
  local item = sequence[answered + 1]
  if item == nil then
    exhausted = 1
    wrk.thread:stop()
    item = sequence[#sequence]
  end
  return wrk.format(nil, item[1], nil, item[2])
end
"""


def _lua_string(value: str) -> str:
    if not SAFE.match(value):
        raise ValueError(f"not printable ASCII, cannot pass to wrk: {value!r}")
    return json.dumps(value)  # a double-quoted JSON string of printable ASCII is valid Lua


def lua_script(spec: Spec) -> str:
    lines = [f"wrk.method = {_lua_string(spec.method)}"]
    for name, value in spec.headers.items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if spec.sequences is not None:
        lines.append("sequences = {")
        for sequence in spec.sequences:
            items = ", ".join(
                f"{{{_lua_string(path)}, {_lua_string(body)}}}" for path, body in sequence
            )
            lines.append(f"  {{{items}}},")
        lines.append("}")
    lines.append(LUA_COMMON)
    if spec.sequences is not None:
        lines.append(LUA_SEQUENCE)
    return "\n".join(lines)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", re.MULTILINE)
SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)


def parse_wrk(output: str) -> Result:
    """Read wrk's `--latency` report and the status lines the Lua `done()` writes."""
    percentiles = {int(q): float(v) * UNITS_MS[unit] for q, v, unit in PERCENTILE.findall(output)}
    found = REQUESTS.search(output)
    if not found or 50 not in percentiles or 99 not in percentiles:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    seconds = float(found.group(2)) * UNITS_MS[found.group(3)] / 1000.0
    rate = RATE.search(output)
    if rate and float(rate.group(1)) > 0:  # wrk's own rate uses its exact run time
        seconds = int(found.group(1)) / float(rate.group(1))
    statuses: Counter = Counter()
    exhausted = 0
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["BENCH_STATUS"]:
            statuses[int(parts[1])] += int(parts[2])
        elif parts[:1] == ["BENCH_EXHAUSTED"]:
            exhausted += int(parts[1])
    socket = SOCKET_ERRORS.search(output)
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    non_2xx = NON_2XX.search(output)
    counted = sum(n for code, n in statuses.items() if code >= 400)
    if non_2xx and int(non_2xx.group(1)) != counted:
        # wrk counts 4xx and 5xx itself; trust it if the Lua counters disagree
        statuses[0] += int(non_2xx.group(1)) - counted
    return Result(
        tool="wrk",
        requests=int(found.group(1)),
        seconds=seconds,
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        statuses=statuses,
        socket_errors=socket_errors,
        exhausted=exhausted,
    )


def run_wrk(
    host: str, port: int, spec: Spec, duration: float, connections: int, threads: int
) -> Result:
    if spec.sequences is not None:
        threads = len(spec.sequences)  # one connection per thread keeps each sequence in order
        connections = threads
    threads = max(1, min(threads, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(spec))
    try:
        completed = subprocess.run(
            [
                wrk_path() or "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                f"http://{host}:{port}{spec.path}",
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr}")
    return parse_wrk(completed.stdout)


# --- Python fallback -----------------------------------------------------------------------


@dataclass
class _Connection:
    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    socket_errors: int = 0
    exhausted: bool = False


def _percentile(sorted_values: list[int], q: float) -> float:
    """Nearest-rank percentile of nanosecond values, in milliseconds."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1] / 1e6


def run_python(host: str, port: int, spec: Spec, duration: float, connections: int) -> Result:
    """Threads with one http.client keep-alive connection each (reopened when the server closes)."""
    if spec.sequences is not None:
        connections = len(spec.sequences)
    states = [_Connection() for _ in range(connections)]
    start = threading.Barrier(connections + 1)
    deadline_ns = [0]

    def work(index: int) -> None:
        state = states[index]
        conn = http.client.HTTPConnection(host, port, timeout=30)
        sequence = iter(spec.sequences[index]) if spec.sequences is not None else None
        headers = dict(spec.headers)
        path, body = spec.path, None
        if sequence is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start.wait()
        try:
            while time.perf_counter_ns() < deadline_ns[0]:
                if sequence is not None:
                    item = next(sequence, None)
                    if item is None:
                        state.exhausted = True
                        return
                    path, body = item
                try:
                    if conn.sock is None:
                        conn.connect()
                    began = time.perf_counter_ns()
                    conn.request(spec.method, path, body=body, headers=headers)
                    answer = conn.getresponse()
                    answer.read()
                    ended = time.perf_counter_ns()
                except (OSError, http.client.HTTPException):
                    if time.perf_counter_ns() < deadline_ns[0]:
                        state.socket_errors += 1
                    conn.close()
                    continue
                if ended > deadline_ns[0]:
                    return
                state.latencies_ns.append(ended - began)
                state.statuses[answer.status] += 1
        finally:
            conn.close()

    workers = [
        threading.Thread(target=work, args=(i,), daemon=True, name=f"bench-load-{i}")
        for i in range(connections)
    ]
    for worker in workers:
        worker.start()
    began = time.perf_counter_ns()
    deadline_ns[0] = began + int(duration * 1e9)
    start.wait()
    for worker in workers:
        worker.join(timeout=duration + 60)
    latencies = sorted(ns for state in states for ns in state.latencies_ns)
    statuses: Counter = Counter()
    for state in states:
        statuses.update(state.statuses)
    return Result(
        tool="python",
        requests=len(latencies),
        seconds=duration,
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
        statuses=statuses,
        socket_errors=sum(state.socket_errors for state in states),
        exhausted=sum(state.exhausted for state in states),
    )
