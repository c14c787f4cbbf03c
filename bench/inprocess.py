"""What a page costs inside the app, without HTTP or a load generator: Flask's test client.

Seeds (or reuses, with --reuse) a bench database, logs each bench person in through the login
form, asks every GET target of `bench.run` --repeat times and prints the median and p90 in
milliseconds of app time. `--profile KEY` runs that target under cProfile and prints where the
time goes. `/healthz` is the floor: what the test client itself costs.

    .venv/bin/python -m bench.inprocess --orders 1000 --repeat 300
    .venv/bin/python -m bench.inprocess --reuse --profile store_orders
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time

from app import create_app
from app.demo_data import DEMO_PASSWORD
from bench import seed
from bench.client import find_csrf_token
from bench.run import APP_ENV, RESULTS, TARGETS

SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
PEOPLE = {
    "owner": None,  # the owner's phone comes from the seeded data
    "rider": seed.POOL_RIDER_PHONE,
    "operator": seed.OPERATOR_PHONE,
    "manager": seed.SALES_MANAGER_PHONE,
    "driver": seed.DRIVER_PHONE,
    "member": seed.MEMBER_PHONE,
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--db-name", default="hs_inprocess")
    parser.add_argument("--reuse", action="store_true", help="keep the database of a former run")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--only", default="", help="target keys, comma-separated")
    parser.add_argument("--profile", default="", help="one target key to run under cProfile")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--lines", type=int, default=45)
    return parser.parse_args(argv)


def _targets(data: dict) -> list[tuple[str, str, str]]:
    chosen = []
    for target in TARGETS:
        if target.method != "GET" or target.who is None or target.wide:
            continue
        path = target.path.format(leaf=data["leaf"], product=data["product"])
        chosen.append((target.key, target.who, path))
    chosen.append(("healthz", "", "/healthz"))
    return chosen


def _bench_data(args) -> dict:
    """Seed the database (its facts kept beside the results), or read the facts of a former run."""
    name = f"{args.db_name}_{args.orders}"
    facts = RESULTS / f"inprocess_{name}.json"
    if args.reuse and facts.exists():
        return json.loads(facts.read_text())
    data = seed.seed(SERVER_URL, name, args.orders)
    kept = {"url": data.url, "owner": data.owner_phone, "leaf": data.shop_leaf_id,
            "product": data.shop_product_id}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    facts.write_text(json.dumps(kept))
    return kept


def _log_in(app, phone: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    answer = client.post(
        "/login",
        data={"phone": phone, "password": _password(phone), "csrf_token": find_csrf_token(page)},
    )
    assert answer.status_code in (302, 303), f"login {phone}: {answer.status_code}"
    return client


def _password(phone: str) -> str:
    if phone.startswith(("139", "137")):  # the bench's owners and riders (bench/seed.py)
        return seed.BENCH_PASSWORD
    return DEMO_PASSWORD


def _time(client, path: str, repeat: int) -> list[float]:
    costs = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        costs.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return costs


def main(argv=None) -> int:
    args = parse_args(argv)
    data = _bench_data(args)
    app = create_app({**APP_ENV, "SQLALCHEMY_DATABASE_URI": data["url"], "JOBS_EAGER": True})
    clients = {}
    only = {key for key in args.only.split(",") if key}
    for key, who, path in _targets(data):
        if only and key not in only and key != args.profile:
            continue
        if args.profile and key != args.profile:
            continue
        if who and who not in clients:
            clients[who] = _log_in(app, data["owner"] if who == "owner" else PEOPLE[who])
        client = clients.get(who) or app.test_client()
        _time(client, path, 20)  # warm the caches and the pool
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            _time(client, path, args.repeat)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
            continue
        costs = sorted(_time(client, path, args.repeat))
        p90 = costs[int(len(costs) * 0.9)]
        print(f"{key:<16} {path:<34} median {statistics.median(costs):6.2f} ms  p90 {p90:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
