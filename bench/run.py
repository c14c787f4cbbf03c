"""`make bench`: portal pages under gunicorn against a bare "hello" and a hand-tuned page.

For each data size: a fresh PostgreSQL database with that many orders, the app and the
references (bench/reference.py) each under `gunicorn -w N` (and the app once more with
--wide-workers for one row), logins over HTTP, then N connections for --duration seconds per
target. Prints one table per size and the growth between sizes, and
writes the same as Markdown to bench/results/latest.md.

    .venv/bin/python -m bench.run --orders 100000,1000 --duration 10 --connections 16 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import gunicorn
from sqlalchemy import create_engine, select, text

from app.delivery.models import DeliveryTask
from app.demo_data import DEMO_PASSWORD
from bench import load, report, seed
from bench.client import Client, LoginFailed, Session, log_in
from bench.report import Row, SizeReport
from bench.servers import Gunicorn

RESULTS = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
TAP_STEPS = ("arrived", "picked", "delivering", "delivered")  # legal rider moves from accepted
BUSY_WARNING = 0.15  # share of CPU busy elsewhere before a run that makes figures unreliable
STUB_BYTES = 512  # a 200 answer shorter than this, or without HTML, is not a real page yet
APP_ENV = {
    "REDIS_URL": "",
    "SECRET_KEY": "bench-fixed-secret-key",
    "LOGIN_RATE_LIMIT": "1000000 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "SMS_PROVIDER": "log",
}


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    method: str
    path: str
    who: str | None = None  # which logged-in person asks; None for the references
    is_list: bool = False
    base: str = "hand_tuned"  # the reference its ×hand-tuned column divides by
    wide: bool = False  # served by the app with --wide-workers instead of --workers

    @property
    def server(self) -> str:
        if self.who is None:
            return "reference"
        return "app_wide" if self.wide else "app"

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}"


TARGETS = (
    Target("hello", "hello", "GET", "/hello"),
    Target("hand_tuned", "hand-tuned", "GET", "/orders"),
    Target("store_orders", "store orders", "GET", "/store/orders", "owner", is_list=True),
    Target(
        "store_orders_wide",
        "store orders",
        "GET",
        "/store/orders",
        "owner",
        is_list=True,
        wide=True,
    ),
    Target("rider_pool", "rider pool", "GET", "/rider/", "rider", is_list=True),
    Target("platform_orders", "platform orders", "GET", "/platform/orders", "operator", True),
    Target("sales_orders", "sales orders", "GET", "/sales/", "manager", is_list=True),
    Target("driver_orders", "driver orders", "GET", "/driver/", "driver", is_list=True),
    # the shop, as an approved member (their level's prices), over as many products as orders
    Target(
        "shop_category",
        "shop category page",
        "GET",
        "/shop/categories/{leaf}",
        "member",
        is_list=True,
    ),
    Target("shop_product", "shop product page", "GET", "/shop/products/{product}", "member", True),
    Target(
        "shop_search", "shop search 椰子", "GET", f"/shop/search?q={quote('椰子')}", "member", True
    ),
    # the taps come last: they add tasks, and the lists above must see the nominal data
    Target("hand_tuned_tap", "hand-tuned tap", "POST", "/tasks/<id>/status"),
    Target(
        "rider_tap",
        "rider status tap",
        "POST",
        "/rider/tasks/<id>/status",
        "tap_rider",
        base="hand_tuned_tap",
    ),
)
TAP_KEYS = ("hand_tuned_tap", "rider_tap")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", default="100000,1000", help="data sizes, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (-w)")
    parser.add_argument(
        "--wide-workers", type=int, default=4, help="gunicorn -w of the 'store orders, wide' row"
    )
    parser.add_argument("--worker-class", default="sync", help="gunicorn -k (default sync)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each GET target")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t for GET targets")
    parser.add_argument(
        "--tap-tasks",
        type=int,
        default=0,
        help="accepted tasks for each tap row (default: enough for 2,500 taps/s)",
    )
    parser.add_argument(
        "--beside",
        type=float,
        default=5.0,
        help="seconds of each turn when a page and the hand-tuned page are measured in turns "
        "(its ×hand-tuned is taken from those turns; 0: from the two rows)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns of --beside seconds each")
    parser.add_argument(
        "--reference-rows", type=int, default=50, help="rows of the hand-tuned page"
    )
    parser.add_argument(
        "--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432", help="PostgreSQL server"
    )
    parser.add_argument("--db-name", default="hs_bench", help="databases are <name>_<orders>")
    parser.add_argument("--keep-db", action="store_true", help="leave the bench databases")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated target keys to measure (the hand-tuned references always run); "
        "the results go to bench/results/only.md, latest.md is kept",
    )
    parser.add_argument(
        "--measure-failures",
        action="store_true",
        help="also load targets whose first answer is an error (to count their status codes)",
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(part.replace("_", "")) for part in args.orders.split(",") if part]
    except ValueError:
        parser.error("--orders takes numbers such as 100000,1000")
    if not args.sizes or min(args.sizes) < 100:
        parser.error("each data size needs at least 100 orders")
    if args.connections < 1 or args.duration <= 0:
        parser.error("--connections and --duration must be positive")
    args.only = {key for key in args.only.split(",") if key}
    unknown = args.only - {t.key for t in TARGETS}
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    args.targets = [t for t in TARGETS if not args.only or t.key in args.only or t.who is None]
    return args


def say(message: str = "") -> None:
    print(message, flush=True)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through every `finally`, which stops gunicorn


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.tool_used = args.tool if args.tool != "auto" else ("wrk" if load.wrk_path() else "python")
    if args.tool_used == "wrk" and not load.wrk_path():
        say("wrk is not installed (apt-get install -y wrk); use --tool python")
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with INT ignored
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    say(
        f"bench: {', '.join(f'{n:,}' for n in args.sizes)} orders; load by {args.tool_used}, "
        f"{args.connections} connections, {args.duration:g} s per target; "
        f"gunicorn -w {args.workers} -k {args.worker_class}"
    )
    reports: list[SizeReport] = []
    try:
        for orders in args.sizes:
            reports.append(run_size(args, orders))
            say()
            say(report.text_table(reports[-1]))
            say()
    except (KeyboardInterrupt, SystemExit) as exc:
        say(
            "\ninterrupted: gunicorn stopped" + ("" if args.keep_db else ", bench database dropped")
        )
        return exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 130
    growth = report.growth_lines(reports)
    for line in growth:
        say(line)
    path = write_markdown(args, reports, growth, time.monotonic() - started)
    say(f"\nwritten to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    say(f"total {time.monotonic() - started:.0f} s")
    return 0


def run_size(args: argparse.Namespace, orders: int) -> SizeReport:
    name = f"{args.db_name}_{orders}"
    say(f"\n[{orders:,} orders] seeding database {name} ...")
    rows = [
        Row(
            t.key,
            t.label + (f" (-w {args.wide_workers})" if t.wide else ""),
            t.request,
            is_list=t.is_list,
            is_reference=t.who is None,
            base=t.base,
        )
        for t in args.targets
    ]
    heading = f"{orders:,} orders"
    try:
        data = seed.seed(args.pg, name, orders, log=say)
        heading = (
            f"{orders:,} orders · {args.tool_used}, {args.connections} connections, "
            f"{args.duration:g} s · gunicorn -w {args.workers} ({args.worker_class}) · "
            f"store {data.owner_store_id} has {data.owner_store_orders:,} orders "
            f"(hand-tuned: its newest {args.reference_rows}) · {data.pool_tasks} tasks in the pool"
        )
        with contextlib.ExitStack() as servers:
            say(f"  starting gunicorn: reference and app (-w {args.workers}) ...")
            ports = {
                "reference": _start(servers, _reference_server(args, data), rows, "reference"),
                "app": _start(servers, _app_server(args, data), rows, "app"),
                "app_wide": _start(
                    servers,
                    _app_server(args, data, args.wide_workers, "app-wide"),
                    rows,
                    "app_wide",
                ),
            }
            sessions = log_everyone_in(ports["app"], data) if ports["app"] else {}
            tap_tasks: dict[str, list[int]] = {}
            busy = report.cpu_busy()
            if busy is not None:
                heading += f" · {busy:.0%} CPU busy before the run"
                if busy > BUSY_WARNING:
                    say(
                        f"  WARNING: {busy:.0%} of the CPUs are busy with other work before "
                        "the run; every figure below will be low and noisy"
                    )
            for target, row in zip(args.targets, rows, strict=True):
                port = ports[target.server]
                if port is None:  # its server did not start; the row already says why
                    say(f"  {_progress(row)}")
                    continue
                try:
                    if target.key in TAP_KEYS:
                        if not tap_tasks:  # every tap row's tasks at once, before any tap runs
                            tap_tasks = add_tap_tasks(args, data)
                        tasks = tap_tasks[target.key]
                        who = sessions.get(target.who)
                        bench_tap(args, target, row, port, who, tasks, data.url)
                    else:
                        shop = {"leaf": data.shop_leaf_id, "product": data.shop_product_id}
                        target = dataclasses.replace(target, path=target.path.format(**shop))
                        bench_get(args, target, row, port, sessions.get(target.who))
                        if target.who is not None and target.base == "hand_tuned" and row.ok:
                            measure_beside(args, target, row, port, ports["reference"])
                except (RuntimeError, OSError, LoginFailed) as exc:
                    row.problem = row.problem or f"{type(exc).__name__}: {exc}".splitlines()[0]
                say(f"  {_progress(row)}")
    finally:
        if not args.keep_db:
            try:
                seed.drop_database(args.pg, name)
            except Exception as exc:  # do not hide the error that got us here
                say(f"  could not drop database {name}: {type(exc).__name__}: {exc}")
    return SizeReport(orders, heading, rows)


def _reference_server(args, data: seed.BenchData) -> Gunicorn:
    env = {
        "BENCH_DATABASE_URL": data.url,
        "BENCH_STORE_ID": str(data.owner_store_id),
        "BENCH_REFERENCE_ROWS": str(args.reference_rows),
    }
    return Gunicorn(
        "reference", "bench.reference:app", env, args.workers, RESULTS, "/hello", args.worker_class
    )


def _app_server(
    args, data: seed.BenchData, workers: int | None = None, name: str = "app"
) -> Gunicorn:
    env = {**APP_ENV, "DATABASE_URL": data.url}
    return Gunicorn(
        name, "wsgi:app", env, workers or args.workers, RESULTS, "/healthz", args.worker_class
    )


def _start(
    servers: contextlib.ExitStack, server: Gunicorn, rows: list[Row], key: str
) -> int | None:
    """Start one gunicorn; if it cannot, its rows say so and the others still run."""
    try:
        servers.enter_context(server)
    except RuntimeError as exc:
        say(f"  gunicorn ({server.name}) did not start; log {server.log_path}:\n{exc}")
        served = {t.key for t in TARGETS if t.server == key}
        for row in rows:
            if row.key in served:
                row.problem = f"gunicorn ({server.name}) did not start, see {server.log_path.name}"
        return None
    return server.port


def _progress(row: Row) -> str:
    if row.result is None:
        return f"{row.label:<18} not measured: {row.problem}"
    result = row.result
    line = (
        f"{row.label:<18} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}  [{result.codes()}]"
    )
    return line + (f"  FAIL: {row.problem}" if row.problem else "")


def log_everyone_in(port: int, data: seed.BenchData) -> dict[str, Session | str]:
    """One session per person; a failed login is kept as its message, for the rows to report."""
    people = {
        "owner": (data.owner_phone, seed.BENCH_PASSWORD),
        "rider": (seed.POOL_RIDER_PHONE, seed.BENCH_PASSWORD),
        "tap_rider": (seed.TAP_RIDER_PHONE, seed.BENCH_PASSWORD),
        "operator": (seed.OPERATOR_PHONE, DEMO_PASSWORD),
        "manager": (seed.SALES_MANAGER_PHONE, DEMO_PASSWORD),
        "driver": (seed.DRIVER_PHONE, DEMO_PASSWORD),
        "member": (seed.MEMBER_PHONE, DEMO_PASSWORD),
    }
    sessions: dict[str, Session | str] = {}
    for who, (phone, password) in people.items():
        try:
            sessions[who] = log_in(HOST, port, phone, password)
        except (LoginFailed, OSError) as exc:
            sessions[who] = f"login as {who} {phone} failed: {exc}"
    return sessions


def _session(row: Row, session: Session | str | None) -> Session | None:
    if isinstance(session, Session):
        return session
    row.problem = session or "no session"
    return None


def _probe(port: int, method: str, path: str, headers: dict, form: dict | None = None):
    client = Client(HOST, port)
    try:
        return client.request(method, path, form=form, headers=headers)
    finally:
        client.close()


def _judge_first_answer(row: Row, answer, expect_page: bool) -> None:
    """Set row.problem when the first answer shows the target cannot be measured as meant."""
    request = row.request
    if answer.status >= 400:
        hint = {404: " (route not written yet?)", 405: " (method not allowed)"}.get(
            answer.status, ""
        )
        row.problem = f"{request} answered {answer.status}{hint}"
    elif 300 <= answer.status < 400 and expect_page:
        where = urlsplit(answer.location).path or answer.location
        row.problem = f"{request} answered {answer.status} → {where}"
    elif 300 <= answer.status < 400 and "/login" in answer.location:
        row.problem = f"{request} answered {answer.status} → /login (session not accepted)"
    elif expect_page and (len(answer.body) < STUB_BYTES or b"<" not in answer.body):
        snippet = answer.text.strip()[:40]
        row.problem = f"stub: {len(answer.body)}-byte answer {snippet!r}, not the page yet"


def bench_get(args, target: Target, row: Row, port: int, session) -> None:
    headers = {}
    if target.who is not None:
        session = _session(row, session)
        if session is None:
            return
        headers["Cookie"] = row.cookie = session.cookie
    answer = _probe(port, "GET", target.path, headers)
    _judge_first_answer(row, answer, expect_page=target.key != "hello")
    if answer.status >= 300 and not args.measure_failures:
        return
    spec = load.Spec("GET", target.path, headers)
    if args.warmup > 0:
        load.measure(
            args.tool_used, HOST, port, spec, args.warmup, args.connections, args.wrk_threads
        )
    row.result = load.measure(
        args.tool_used, HOST, port, spec, args.duration, args.connections, args.wrk_threads
    )
    if row.result.errors and not row.problem:
        row.problem = f"{row.result.errors:,} errors"


def measure_beside(args, target: Target, row: Row, port: int, reference: int | None) -> None:
    """The page and the hand-tuned page in turns, `--rounds` times `--beside` seconds each:
    this host's speed drifts by a third from one minute to the next, and a ratio of two
    measurements taken minutes apart carries that drift. The row's ×hand-tuned is the page's
    requests over the hand-tuned page's in those turns."""
    if reference is None or args.beside <= 0 or args.rounds <= 0:
        return
    page = load.Spec("GET", target.path, _cookie(row))
    tuned = load.Spec("GET", "/orders", {})
    if args.warmup > 0:  # the reference's workers and connections warm first, as every target's
        load.measure(
            args.tool_used, HOST, reference, tuned, args.warmup, args.connections, args.wrk_threads
        )
    served, served_tuned = 0.0, 0.0
    for _ in range(args.rounds):
        for spec, to in ((page, port), (tuned, reference)):
            result = load.measure(
                args.tool_used, HOST, to, spec, args.beside, args.connections, args.wrk_threads
            )
            if result.errors:
                return
            if spec is page:
                served += result.rps
            else:
                served_tuned += result.rps
    if served_tuned:
        row.beside_rps = served_tuned / args.rounds
        row.paired_ratio = served / served_tuned


def _cookie(row: Row) -> dict:
    return {"Cookie": row.cookie} if row.cookie else {}


def add_tap_tasks(args, data: seed.BenchData) -> dict[str, list[int]]:
    """Accepted tasks for each tap row, added in one go after the list pages were measured (a
    bulk insert while a tap row's last requests are still being answered would race them)."""
    wanted = args.tap_tasks or math.ceil(args.duration * 2500 / len(TAP_STEPS))
    each = max(1, math.ceil(wanted / args.connections)) * args.connections + 1
    task_ids = seed.add_tap_tasks(data, each * len(TAP_KEYS))
    say(f"  added {len(task_ids):,} accepted tasks for the tap rows ({each:,} each)")
    return {key: task_ids[i * each : (i + 1) * each] for i, key in enumerate(TAP_KEYS)}


def bench_tap(
    args, target: Target, row: Row, port: int, session, task_ids: list[int], url: str
) -> None:
    """Walk accepted tasks through arrived → picked → delivering → delivered, one tap each.

    Each connection owns its own tasks and taps them in order, so every request is a legal move
    that changes a row. The hand-tuned tap (no person, no CSRF) walks tasks of its own the same
    way.
    """
    if target.who is not None:
        session = _session(row, session)
        if session is None:
            return
    connections = args.connections
    probe_task, task_ids = task_ids[0], task_ids[1:]
    token = (session.csrf_token or "") if session is not None else ""
    headers = {"HX-Request": "true"}
    if session is not None:
        headers |= {"Cookie": session.cookie, "X-CSRFToken": token}
    path = target.path.replace("<id>", "{}")

    def tap(task_id: int, to: str) -> tuple[str, str]:
        form = {"to": to, "csrf_token": token, "key": tap_key(task_id, to)}
        if to == "delivered":
            form["confirm"] = "yes"  # the 确认送达 button (送达 alone asks first)
        return path.format(task_id), urlencode(form)

    form = {"to": TAP_STEPS[0], "csrf_token": token, "key": tap_key(probe_task, TAP_STEPS[0])}
    answer = _probe(port, "POST", tap(probe_task, TAP_STEPS[0])[0], headers, form=form)
    _judge_first_answer(row, answer, expect_page=False)
    if session is not None and not session.csrf_token:
        row.notes.append("no CSRF token found on the rider's pages")
    if answer.status >= 400 and not args.measure_failures:
        return
    sequences = [
        [tap(task_id, to) for task_id in task_ids[i::connections] for to in TAP_STEPS]
        for i in range(connections)
    ]
    spec = load.Spec("POST", sequences[0][0][0], headers, sequences=sequences)
    spec.headers["Content-Type"] = "application/x-www-form-urlencoded"
    row.result = load.measure(args.tool_used, HOST, port, spec, args.duration, connections)
    moved = _state_changes(url, task_ids)
    answered = sum(n for code, n in row.result.statuses.items() if 200 <= code < 400)
    if answered <= moved <= answered + connections:  # a tap in flight at the deadline is uncounted
        row.notes.append(f"every answered tap moved a task ({moved:,} moves in the database)")
    else:
        row.problem = row.problem or (
            f"{moved:,} task moves in the database for {answered:,} 2xx/3xx answers"
        )
    if row.result.errors and not row.problem:
        row.problem = f"{row.result.errors:,} errors"


def tap_key(task_id: int, to: str) -> str:
    """The key a rider's phone makes for each tap (app/delivery/taps.py): one per task and move."""
    return f"bench-{task_id}-{to}"


def _state_changes(url: str, task_ids: list[int]) -> int:
    """How many tap moves the database shows on the tap tasks (accepted = 0 … delivered = 4)."""
    table = DeliveryTask.__table__
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            statuses = conn.execute(
                select(table.c.status).where(table.c.id.in_(task_ids))
            ).scalars()
            return sum(seed.TASK_STEPS.index(status) for status in statuses)
    finally:
        engine.dispose()


def _versions(args) -> str:
    parts = [f"Python {report.platform.python_version()}"]
    with contextlib.suppress(Exception):
        parts.append(f"gunicorn {gunicorn.__version__} -w {args.workers} -k {args.worker_class}")
    if args.tool_used == "wrk":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
            parts.append((out.stdout or out.stderr).split(" Copyright")[0].strip())
    with contextlib.suppress(Exception):
        engine = create_engine(f"{args.pg.rstrip('/')}/postgres")
        try:
            with engine.connect() as conn:
                version = conn.execute(text("SHOW server_version")).scalar_one()
                parts.append(f"PostgreSQL {version.split()[0]}")
        finally:
            engine.dispose()
    return ", ".join(parts)


def _load_words(args) -> str:
    if args.tool_used == "wrk":
        return (
            f"wrk, {args.connections} connections (-t{min(args.wrk_threads, args.connections)} for "
            "GET targets, one thread per connection for the tap)"
        )
    return f"Python threads, {args.connections} http.client connections"


def write_markdown(args, reports: list[SizeReport], growth: list[str], seconds: float) -> Path:
    info = report.machine()
    lines = [
        "# Portal benchmark (`make bench`)",
        "",
        f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {info['nproc']} CPUs (nproc), {info['cpu']}, {info['memory']} memory, "
        f"Linux {info['kernel']}",
        f"- software: {_versions(args)}",
        f"- load: {_load_words(args)}; {args.duration:g} s per target after {args.warmup:g} s "
        f"warm-up (GET targets); took {seconds:.0f} s in all",
        f"- target: every portal list page ≥ {report.TARGET_RATIO} × the hand-tuned page's req/s",
        "- errors: answers ≥ 400 and socket errors; p50/p99 from request written to answer read",
        "",
    ]
    for size in reports:
        lines += [report.markdown_table(size), ""]
    if growth:
        lines += ["```", *growth, "```", ""]
    path = RESULTS / ("only.md" if args.only else "latest.md")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
