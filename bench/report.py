"""Tables for the terminal and for bench/results/latest.md, and a note on the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass, field

from bench.load import Result

TARGET_RATIO = 0.8  # every portal list page at least 0.8 of the hand-tuned page


@dataclass
class Row:
    key: str
    label: str
    request: str  # "GET /store/orders"
    is_list: bool = False  # a portal list page held to TARGET_RATIO
    is_reference: bool = False
    base: str = "hand_tuned"  # divides its ×hand-tuned column (the tap's: the hand-tuned tap)
    result: Result | None = None
    problem: str = ""  # why the row failed or was not measured
    notes: list[str] = field(default_factory=list)
    cookie: str = ""  # the logged-in session its requests carry
    beside_rps: float | None = None  # its reference, measured in turns with it
    paired_ratio: float | None = None  # its req/s over its reference's in those turns

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.problem

    @property
    def rps(self) -> float | None:
        return self.result.rps if self.result is not None else None


@dataclass
class SizeReport:
    orders: int
    heading: str
    rows: list[Row]

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)

    def ratio(self, row: Row, key: str) -> float | None:
        """`row`'s req/s over the row `key`'s; over its own reference, as measured in turns with
        it when it was (a host whose speed drifts from minute to minute moves both alike, where
        the reference's own row was measured minutes earlier)."""
        if key == row.base and row.paired_ratio is not None:
            return row.paired_ratio
        base = self.row(key)
        if row.rps is None or base is None or not base.rps:
            return None
        return row.rps / base.rps


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def verdict(report: SizeReport, row: Row) -> str:
    parts = []
    if row.problem:
        parts.append(f"FAIL: {row.problem}")
    if row.result is not None:
        if row.result.errors:
            parts.append(f"statuses {row.result.codes()}")
        if row.result.exhausted:
            parts.append(f"{row.result.exhausted} connections ran out of tasks (raise --tap-tasks)")
    parts.extend(row.notes)
    if row.beside_rps:
        parts.append(
            f"in turns with the hand-tuned page: {row.paired_ratio:.2f} "
            f"(hand-tuned {row.beside_rps:,.1f} req/s in those turns)"
        )
    if row.is_list and row.ok:
        ratio = report.ratio(row, row.base)
        if ratio is not None:
            met = "meets" if ratio >= TARGET_RATIO else "BELOW"
            parts.append(f"{met} the {TARGET_RATIO:.1f} target")
    return "; ".join(parts)


COLUMNS = ("target", "req/s", "p50 ms", "p99 ms", "errors", "×hand-tuned", "×hello", "note")


def _cells(report: SizeReport, row: Row) -> list[str]:
    result = row.result
    return [
        f"{row.label} ({row.request})",
        _num(row.rps),
        _num(result.p50_ms if result else None, 2),
        _num(result.p99_ms if result else None, 2),
        "—" if result is None else f"{result.errors:,}",
        _num(report.ratio(row, row.base), 2),
        _num(report.ratio(row, "hello"), 2),
        verdict(report, row),
    ]


def text_table(report: SizeReport) -> str:
    body = [_cells(report, row) for row in report.rows]
    widths = [max(len(COLUMNS[i]), *(len(cells[i]) for cells in body)) for i in range(7)]
    lines = [report.heading]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        middle = [cells[i].rjust(widths[i]) for i in range(1, 7)]
        return "  ".join([first, *middle, cells[7]]).rstrip()

    lines.append(line(list(COLUMNS)))
    lines.append(line(["-" * w for w in widths] + ["----"]))
    lines.extend(line(cells) for cells in body)
    return "\n".join(lines)


def markdown_table(report: SizeReport) -> str:
    lines = [f"### {report.heading}", "", "| " + " | ".join(COLUMNS) + " |"]
    lines.append("|" + "|".join(["---", *["---:"] * 6, "---"]) + "|")
    for row in report.rows:
        cells = [c.replace("|", "\\|") for c in _cells(report, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth_lines(reports: list[SizeReport]) -> list[str]:
    """req/s at the largest size ÷ req/s at the smallest, per row: 1.00 means no slowdown."""
    if len(reports) < 2:
        return []
    big = max(reports, key=lambda r: r.orders)
    small = min(reports, key=lambda r: r.orders)
    parts = []
    for row in big.rows:
        other = small.row(row.key)
        if row.ok and other is not None and other.ok and other.rps:
            part = f"{row.label} {row.rps / other.rps:.2f} ({row.rps:,.0f} vs {other.rps:,.0f})"
            tuned_big, tuned_small = big.ratio(row, row.base), small.ratio(other, other.base)
            if not row.is_reference and tuned_big is not None and tuned_small is not None:
                # machine-wide noise hits both pages alike; this ratio of ratios cancels most of it
                part += f"; ×hand-tuned {tuned_small:.2f} → {tuned_big:.2f}"
            parts.append(part)
        else:
            parts.append(f"{row.label} — (not measured at both sizes)")
    return [
        f"growth, req/s at {big.orders:,} orders ÷ req/s at {small.orders:,} orders:",
        *(f"  {part}" for part in parts),
    ]


def machine() -> dict[str, str]:
    cpu = "unknown"
    memory = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as info:
            kb = next((int(ln.split()[1]) for ln in info if ln.startswith("MemTotal")), 0)
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(len(os.sched_getaffinity(0)))
    return {
        "nproc": nproc,
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values), idle


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy over `seconds`, while the bench itself sends nothing."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    spent = total1 - total0
    return (spent - (idle1 - idle0)) / spent if spent else None
