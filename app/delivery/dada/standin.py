"""A local stand-in for the Dada open API: a small HTTP server on loopback that speaks Dada's
protocol, for development and tests (nobody needs a Dada account to watch a delivery).

    with DadaStandin() as dada:
        app.config.update(dada.settings())
        ...                       # the app quotes, orders, tips, cancels, queries
        dada.accept(order_no)     # the test environment's simulators move the order on and
        dada.fetch(order_no)      # POST signed callbacks to the URL the order was sent with
        dada.finish(order_no)

It checks every request with its own code (never the app's): the JSON envelope {app_key, body,
format, timestamp, v, source_id, signature}, the signature UPPER(MD5(secret + sorted key+value
pairs + secret)), the app key, the merchant (source_id) and the clock (10 minutes either way).
It keeps orders in memory and answers {status, code, msg, result} for queryDeliverFee,
addAfterQuery, addOrder, reAddOrder, addTip, formalCancel, cancel/reasons, status/query and
balance/query, and the test environment's simulators accept, fetch, finish, cancel and expire
(plus `arrive`, 骑士到店, which only the stand-in offers). Callbacks carry Dada's fields and its
signature (MD5 of the sorted values of client_id, order_id and update_time). The fee is flat
(`fee_fen`, ¥8.00 unless set); the merchant's balance is `balance_fen` (¥1,000.00): publishing
takes the fee, a tip takes the tip, cancelling gives back all but the 违约金 (¥2.00 once a rider
has accepted), expiry gives everything back.

Callbacks caused by the app's own requests (publish, cancel) are posted from a background
thread after the answer, as Dada does (or, with `hold_callbacks`, when a test calls
`send_held()`); the simulators called from Python post them at once, so a test reads their
outcome on the next line. `deliver(url, headers, body) -> status` posts them
(HTTP by default; tests post through Flask's test client). `down = True` answers 502 to every
request (Dada unreachable); `notify = False` sends no callbacks (the app has to ask).

From the shell (`make dada-standin`; `make run` starts it): `python -m app.delivery.dada.standin
--port 8803` serves a page at http://127.0.0.1:8803/ listing the orders with the simulators'
buttons, and prints the settings that point the app at it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import queue
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from app.delivery.dada.local import APP_KEY, APP_SECRET, DEFAULT_PORT, SOURCE_ID

LOOPBACK = "127.0.0.1"
MAX_SKEW_SECONDS = 600
PENALTY_FEN = 200  # 违约金 once a rider has accepted
Deliver = Callable[[str, dict[str, str], bytes], int]

# Status codes (Dada's) and the words status/query gives with them.
WAITING, ACCEPTED, DELIVERING, FINISHED, CANCELLED, EXPIRED = 1, 2, 3, 4, 5, 7
ASSIGNED, RETURNING, RETURNED, ARRIVED, FAILED = 8, 9, 10, 100, 1000
STATUS_MSG = {
    WAITING: "待接单",
    ACCEPTED: "待取货",
    DELIVERING: "配送中",
    FINISHED: "已完成",
    CANCELLED: "已取消",
    EXPIRED: "已过期",
    ASSIGNED: "指派单",
    RETURNING: "妥投异常之物品返回中",
    RETURNED: "妥投异常之物品返回完成",
    ARRIVED: "骑士到店",
    FAILED: "创建达达运单失败",
}
ENDED = (CANCELLED, EXPIRED, FAILED)  # reAddOrder publishes these again
CANCEL_REASONS = [
    (1, "没有配送员接单"),
    (2, "配送员没来取货"),
    (3, "配送员态度太差"),
    (4, "顾客取消订单"),
    (5, "订单填写错误"),
    (34, "配送员让我取消此单"),
    (35, "配送员不愿上门取货"),
    (36, "我不需要配送了"),
    (37, "配送员以各种理由表示无法完成订单"),
    (10000, "其他"),
]
RIDERS = [
    ("李达达", "13900001111"),
    ("王骑士", "13900002222"),
    ("陈快送", "13900003333"),
]
ORDER_FIELDS = ("shop_no", "origin_id", "city_code", "cargo_price", "receiver_name")
ORDER_FIELDS += ("receiver_address", "receiver_phone", "callback", "cargo_weight")


class Refused(Exception):
    """An error answer: Dada's {status: "fail", code, msg}."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


def _yuan(fen: int) -> float:
    return float(Decimal(int(fen)) / 100)


def _fen(value: Any) -> int:
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except Exception:
        return -1


def expected_signature(fields: dict[str, Any], secret: str) -> str:
    """The stand-in's own reading of Dada's rule (written apart from the app's client)."""
    text = secret
    for name in sorted(fields):
        if name != "signature":
            text += name + str(fields[name])
    text += secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def callback_signature(client_id: Any, order_id: Any, update_time: Any) -> str:
    values = sorted([str(client_id), str(order_id), str(update_time)])
    return hashlib.md5("".join(values).encode("utf-8")).hexdigest()


def http_deliver(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST a callback as Dada does; the HTTP status the app answered (0: nobody answered)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class DadaStandin:
    """A threaded werkzeug server on a loopback port that answers as newopen.imdada.cn does."""

    def __init__(
        self,
        app_key: str = APP_KEY,
        app_secret: str = APP_SECRET,
        source_id: str = SOURCE_ID,
        balance_fen: int = 100_000,
        fee_fen: int = 800,
        distance_m: int = 1800,
        deliver: Deliver | None = None,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.source_id = source_id
        self.balance_fen = balance_fen
        self.fee_fen = fee_fen
        self.distance_m = distance_m
        self.deliver: Deliver = deliver or http_deliver
        self.notify = True  # False: no callbacks (the app must query)
        self.down = False  # True: 502 to everything (Dada unreachable)
        # Tests: keep the callbacks the app's own requests cause until `send_held()` (no thread
        # posting into the app while the test holds its transaction).
        self.hold_callbacks = False
        self.held: list[tuple[str, bytes]] = []
        self.orders: dict[str, dict[str, Any]] = {}  # origin_id -> order
        self.quotes: dict[str, dict[str, Any]] = {}  # deliveryNo -> quote
        self.requests: list[dict[str, Any]] = []  # every API request: path, business, answer code
        self.deliveries: list[dict[str, Any]] = []  # callbacks sent: url, status, body
        self._ids = itertools.count(90_000_001)
        self._riders = itertools.cycle(RIDERS)
        self._lock = threading.RLock()
        self._outbox: queue.Queue = queue.Queue()
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []

    # --- life cycle -----------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = LOOPBACK) -> str:
        if self._server is None:
            self._server = make_server(host, port, self._wsgi, threaded=True)
            serving = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="dada-standin",
                daemon=True,
            )
            sending = threading.Thread(target=self._send_queued, name="dada-callbacks", daemon=True)
            self._threads = [serving, sending]
            for thread in self._threads:
                thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> DadaStandin:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Dada stand-in is not started")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def settings(self) -> dict[str, str]:
        """The app settings that point at this stand-in."""
        return {
            "DADA_APP_KEY": self.app_key,
            "DADA_APP_SECRET": self.app_secret,
            "DADA_SOURCE_ID": self.source_id,
            "DADA_BASE_URL": self.url,
        }

    # --- what tests read and do -------------------------------------------------------------------

    def order(self, origin_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.orders[origin_id])

    def paths(self) -> list[str]:
        """The API paths asked so far, oldest first."""
        with self._lock:
            return [r["path"] for r in self.requests]

    def accept(self, origin_id: str) -> int:
        return self._simulate("accept", origin_id)

    def arrive(self, origin_id: str) -> int:
        return self._simulate("arrive", origin_id)

    def fetch(self, origin_id: str) -> int:
        return self._simulate("fetch", origin_id)

    def finish(self, origin_id: str) -> int:
        return self._simulate("finish", origin_id)

    def cancel(self, origin_id: str, reason: str = "达达客服取消") -> int:
        return self._simulate("cancel", origin_id, reason)

    def expire(self, origin_id: str) -> int:
        return self._simulate("expire", origin_id)

    def _simulate(self, action: str, origin_id: str, reason: str = "") -> int:
        """Move the order on and post its callback now; the status the app answered."""
        with self._lock:
            SIMULATORS[action](self, self._known(origin_id), reason)
            body = self._callback_body(self.orders[origin_id])
            url = self.orders[origin_id]["callback"]
        if not self.notify or not url:
            return 0
        return self._send(url, body)

    def callback_body(self, origin_id: str, **overrides: Any) -> bytes:
        """The callback Dada would send for the order now; `overrides` change fields after it
        was signed (a forgery), `resign=True` signs the changed fields again."""
        resign = overrides.pop("resign", False)
        with self._lock:
            data = json.loads(self._callback_body(self.orders[origin_id]))
        data.update(overrides)
        if resign:
            data["signature"] = callback_signature(
                data["client_id"], data["order_id"], data["update_time"]
            )
        return json.dumps(data, ensure_ascii=False).encode()

    def replay(self, index: int = -1) -> int:
        """Send a callback already sent once again, byte for byte."""
        with self._lock:
            sent = self.deliveries[index]
        return self._send(sent["url"], sent["body"])

    def flush(self, timeout: float = 5) -> None:
        """Wait until the callbacks queued by the app's own requests have been posted."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    # --- callbacks --------------------------------------------------------------------------------

    def _callback_body(self, order: dict[str, Any]) -> bytes:
        update_time = int(time.time())
        order["update_time"] = max(update_time, order.get("update_time", 0) + 1)
        rider = order.get("rider") or {}
        data = {
            "client_id": order["client_id"],
            "order_id": order["origin_id"],
            "order_status": order["status"],
            "cancel_reason": order.get("cancel_reason", ""),
            "cancel_from": order.get("cancel_from", 0),
            "update_time": order["update_time"],
            "dm_id": rider.get("id", 0),
            "dm_name": rider.get("name", ""),
            "dm_mobile": rider.get("phone", ""),
        }
        data["signature"] = callback_signature(
            data["client_id"], data["order_id"], data["update_time"]
        )
        return json.dumps(data, ensure_ascii=False).encode()

    def _queue_callback(self, order: dict[str, Any]) -> None:
        if not (self.notify and order.get("callback")):
            return
        item = (order["callback"], self._callback_body(order))
        if self.hold_callbacks:
            self.held.append(item)
        else:
            self._outbox.put(item)

    def send_held(self) -> list[int]:
        """Post the callbacks held back (`hold_callbacks`), oldest first; the statuses answered."""
        with self._lock:
            held, self.held = self.held, []
        return [self._send(url, body) for url, body in held]

    def _send(self, url: str, body: bytes) -> int:
        status = self.deliver(url, {"Content-Type": "application/json"}, body)
        with self._lock:
            self.deliveries.append({"url": url, "status": status, "body": body})
        return status

    def _send_queued(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                if item is None:
                    return
                time.sleep(0.05)  # after the answer to the request that caused it
                if self.notify:
                    self._send(*item)
            finally:
                self._outbox.task_done()

    # --- HTTP ---------------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method == "GET" and request.path == "/":
            return self._page()
        if request.method == "POST" and request.path.startswith("/ui/"):
            return self._ui(request)
        if self.down:
            return Response("Bad Gateway", status=502)
        if request.method != "POST" or request.path not in ENDPOINTS:
            return Response("Not Found", status=404)
        business: Any = None
        try:
            business = self._verify(request)
            with self._lock:
                result = ENDPOINTS[request.path](self, business)
            answer = {"status": "success", "code": 0, "msg": "成功", "result": result}
        except Refused as refused:
            answer = {"status": "fail", "code": refused.code, "msg": refused.msg, "result": None}
        with self._lock:
            self.requests.append(
                {"path": request.path, "business": business, "code": answer["code"]}
            )
        return Response(
            json.dumps(answer, ensure_ascii=False), content_type="application/json;charset=utf-8"
        )

    def _verify(self, request: Request) -> Any:
        try:
            fields = json.loads(request.get_data(as_text=True))
        except ValueError:
            raise Refused(2002, "请求格式错误，须为JSON") from None
        if not isinstance(fields, dict):
            raise Refused(2002, "请求格式错误，须为JSON")
        missing = [
            name
            for name in ("app_key", "body", "format", "timestamp", "v", "source_id", "signature")
            if name not in fields
        ]
        if missing:
            raise Refused(2002, f"缺少参数：{','.join(missing)}")
        if fields["app_key"] != self.app_key:
            raise Refused(2001, "app_key无效")
        if fields["signature"] != expected_signature(fields, self.app_secret):
            raise Refused(2003, "签名错误")
        if str(fields["v"]) != "1.0" or fields["format"] != "json":
            raise Refused(2002, "版本或格式错误")
        if str(fields["source_id"]) != self.source_id:
            raise Refused(2005, "source_id无效")
        try:
            skew = abs(time.time() - int(fields["timestamp"]))
        except (TypeError, ValueError):
            raise Refused(2004, "timestamp无效") from None
        if skew > MAX_SKEW_SECONDS:
            raise Refused(2004, "请求已过期，请校准时间")
        body = fields["body"]
        if body in ("", None):
            return {}
        try:
            return json.loads(body)
        except (TypeError, ValueError):
            raise Refused(2002, "body须为JSON字符串") from None

    # --- the API --------------------------------------------------------------------------------

    def _known(self, origin_id: Any) -> dict[str, Any]:
        order = self.orders.get(str(origin_id or ""))
        if order is None:
            raise Refused(2020, "订单不存在")
        return order

    def _checked_order(self, business: dict[str, Any], republish: bool = False) -> dict[str, Any]:
        missing = [name for name in ORDER_FIELDS if business.get(name) in (None, "")]
        if missing:
            raise Refused(2010, f"缺少参数：{','.join(missing)}")
        if _fen(business["cargo_price"]) < 0:
            raise Refused(2010, "cargo_price无效")
        existing = self.orders.get(str(business["origin_id"]))
        if existing is not None and existing["status"] not in ENDED and not republish:
            raise Refused(2105, "订单已存在")
        return business

    def _publish(self, params: dict[str, Any], fee: int, republish: bool = False) -> dict:
        if self.balance_fen < fee:
            raise Refused(2076, "账户余额不足，请充值")
        self.balance_fen -= fee
        origin_id = str(params["origin_id"])
        order = self.orders.get(origin_id) if republish else None
        if order is None:
            order = {"origin_id": origin_id, "client_id": str(next(self._ids)), "tips": 0}
            self.orders[origin_id] = order
        order.update(
            params=params,
            callback=params.get("callback", ""),
            shop_no=params["shop_no"],
            status=WAITING,
            fee=fee,
            deduct=0,
            rider=None,
            cancel_reason="",
            cancel_from=0,
            created=int(time.time()),
        )
        self._queue_callback(order)
        return order

    def _quote(self, params: dict[str, Any]) -> dict[str, Any]:
        delivery_no = f"Dada{secrets.token_hex(8)}"
        self.quotes[delivery_no] = {"params": params, "fee": self.fee_fen, "at": time.time()}
        return {
            "distance": self.distance_m,
            "deliveryNo": delivery_no,
            "fee": _yuan(self.fee_fen),
            "deliverFee": _yuan(self.fee_fen),
            "couponFee": 0,
            "tips": 0,
            "insuranceFee": 0,
        }

    def query_deliver_fee(self, business: dict[str, Any]) -> dict[str, Any]:
        return self._quote(self._checked_order(business))

    def add_after_query(self, business: dict[str, Any]) -> None:
        quote = self.quotes.get(str(business.get("deliveryNo", "")))
        if quote is None or time.time() - quote["at"] > 180:
            raise Refused(2062, "deliveryNo不存在或已过期，请重新查询运费")
        self._checked_order(quote["params"])
        existing = self.orders.get(str(quote["params"]["origin_id"]))
        self._publish(quote["params"], quote["fee"], republish=existing is not None)
        del self.quotes[str(business["deliveryNo"])]
        return None

    def add_order(self, business: dict[str, Any]) -> dict[str, Any]:
        order = self._publish(self._checked_order(business), self.fee_fen)
        return {
            "distance": self.distance_m,
            "fee": _yuan(order["fee"]),
            "deliverFee": _yuan(order["fee"]),
        }

    def re_add_order(self, business: dict[str, Any]) -> dict[str, Any]:
        order = self._known(business.get("origin_id"))
        if order["status"] not in ENDED:
            raise Refused(2106, "只有已取消、已过期或创建失败的订单可以重新发布")
        order = self._publish(self._checked_order(business, republish=True), self.fee_fen, True)
        return {
            "distance": self.distance_m,
            "fee": _yuan(order["fee"]),
            "deliverFee": _yuan(order["fee"]),
        }

    def add_tip(self, business: dict[str, Any]) -> None:
        order = self._known(business.get("order_id"))
        tip = _fen(business.get("tips"))
        if order["status"] not in (WAITING, ASSIGNED):
            raise Refused(2072, "只有待接单的订单可以加小费")
        if tip <= 0 or tip % 10:
            raise Refused(2071, "小费金额无效，须精确到角")
        if self.balance_fen < tip:
            raise Refused(2076, "账户余额不足，请充值")
        self.balance_fen -= tip
        order["tips"] += tip
        return None

    def formal_cancel(self, business: dict[str, Any]) -> dict[str, Any]:
        order = self._known(business.get("order_id"))
        reasons = dict(CANCEL_REASONS)
        try:
            reason_id = int(business.get("cancel_reason_id"))
        except (TypeError, ValueError):
            reason_id = -1
        if reason_id not in reasons:
            raise Refused(2081, "取消原因无效")
        reason = str(business.get("cancel_reason") or "")
        if reason_id == 10000 and not reason.strip():
            raise Refused(2082, "取消原因为其他时须填写原因")
        if order["status"] == DELIVERING:
            raise Refused(2083, "骑士已取货，订单不能取消")
        if order["status"] not in (WAITING, ASSIGNED, ACCEPTED, ARRIVED):
            raise Refused(2084, "订单当前状态不可取消")
        deduct = PENALTY_FEN if order["status"] in (ACCEPTED, ARRIVED) else 0
        self._end(order, CANCELLED, reason if reason_id == 10000 else reasons[reason_id], 2, deduct)
        self._queue_callback(order)
        return {"deduct_fee": _yuan(deduct)}

    def cancel_reasons(self, business: Any) -> list[dict[str, Any]]:
        return [{"id": id_, "reason": reason} for id_, reason in CANCEL_REASONS]

    def status_query(self, business: dict[str, Any]) -> dict[str, Any]:
        order = self._known(business.get("order_id"))
        rider = order.get("rider") or {}
        times = order.get("times", {})
        return {
            "orderId": order["origin_id"],
            "statusCode": order["status"],
            "statusMsg": STATUS_MSG[order["status"]],
            "transporterName": rider.get("name", ""),
            "transporterPhone": rider.get("phone", ""),
            "transporterLng": "110.3492" if rider else "",
            "transporterLat": "20.0174" if rider else "",
            "transporterId": rider.get("id", 0),
            "deliveryFee": _yuan(order["fee"] + order["tips"]),
            "tips": _yuan(order["tips"]),
            "couponFee": 0,
            "insuranceFee": 0,
            "actualFee": _yuan(order["fee"] + order["tips"]),
            "distance": self.distance_m,
            "createTime": times.get("create", ""),
            "acceptTime": times.get("accept", ""),
            "fetchTime": times.get("fetch", ""),
            "finishTime": times.get("finish", ""),
            "cancelTime": times.get("cancel", ""),
            "orderFinishCode": "",
            "deductFee": _yuan(order.get("deduct", 0)),
        }

    def balance_query(self, business: Any) -> dict[str, Any]:
        return {"deliverBalance": _yuan(self.balance_fen), "redPacketBalance": 0}

    # --- the test environment's simulators --------------------------------------------------------

    def _end(self, order: dict, status: int, reason: str, cancel_from: int, deduct: int) -> None:
        if order["status"] not in (FINISHED, *ENDED):
            self.balance_fen += order["fee"] + order["tips"] - deduct
        order.update(status=status, cancel_reason=reason, cancel_from=cancel_from, deduct=deduct)
        order.setdefault("times", {})["cancel"] = time.strftime("%Y-%m-%d %H:%M:%S")

    def _move(self, order: dict, allowed: tuple[int, ...], to: int, stamp: str) -> None:
        if order["status"] not in allowed:
            raise Refused(2090, f"订单状态为{STATUS_MSG[order['status']]}，不能执行该操作")
        order["status"] = to
        order.setdefault("times", {})[stamp] = time.strftime("%Y-%m-%d %H:%M:%S")

    def sim_accept(self, order: dict, reason: str = "") -> None:
        self._move(order, (WAITING, ASSIGNED), ACCEPTED, "accept")
        name, phone = next(self._riders)
        order["rider"] = {"id": int(order["client_id"]) % 100_000 + 1, "name": name, "phone": phone}

    def sim_arrive(self, order: dict, reason: str = "") -> None:
        self._move(order, (ACCEPTED,), ARRIVED, "arrive")

    def sim_fetch(self, order: dict, reason: str = "") -> None:
        self._move(order, (ACCEPTED, ARRIVED), DELIVERING, "fetch")

    def sim_finish(self, order: dict, reason: str = "") -> None:
        self._move(order, (DELIVERING,), FINISHED, "finish")

    def sim_cancel(self, order: dict, reason: str = "") -> None:
        if order["status"] in (FINISHED, *ENDED):
            raise Refused(2090, f"订单状态为{STATUS_MSG[order['status']]}，不能执行该操作")
        self._end(order, CANCELLED, reason or "达达客服取消", 3, 0)

    def sim_expire(self, order: dict, reason: str = "") -> None:
        if order["status"] not in (WAITING, ASSIGNED):
            raise Refused(2090, f"订单状态为{STATUS_MSG[order['status']]}，不能执行该操作")
        self._end(order, EXPIRED, "", 0, 0)

    def _simulator_endpoint(action: str):
        def endpoint(self: DadaStandin, business: dict[str, Any]) -> None:
            order = self._known(business.get("order_id"))
            SIMULATORS[action](self, order, str(business.get("reason", "")))
            self._queue_callback(order)
            return None

        return endpoint

    sim_accept_api = _simulator_endpoint("accept")
    sim_arrive_api = _simulator_endpoint("arrive")
    sim_fetch_api = _simulator_endpoint("fetch")
    sim_finish_api = _simulator_endpoint("finish")
    sim_cancel_api = _simulator_endpoint("cancel")
    sim_expire_api = _simulator_endpoint("expire")

    # --- a page to press the simulators' buttons (development) ------------------------------------

    def _page(self) -> Response:
        rows = []
        with self._lock:
            orders = sorted(self.orders.values(), key=lambda o: o["client_id"], reverse=True)
            for order in orders:
                rider = order.get("rider") or {}
                buttons = "".join(
                    f'<button name="action" value="{action}">{label}</button>'
                    for action, label in UI_ACTIONS
                )
                rows.append(
                    "<tr><td>{no}</td><td>{status}</td><td>{rider}</td><td>¥{fee}</td>"
                    '<td><form method="post" action="/ui/{no}">{buttons}</form></td></tr>'.format(
                        no=escape(order["origin_id"]),
                        status=escape(STATUS_MSG[order["status"]]),
                        rider=escape(f"{rider.get('name', '')} {rider.get('phone', '')}"),
                        fee=f"{_yuan(order['fee'] + order['tips']):.2f}",
                        buttons=buttons,
                    )
                )
            balance = _yuan(self.balance_fen)
        html = PAGE.format(
            balance=f"{balance:.2f}",
            rows="".join(rows) or '<tr><td colspan="5">还没有订单</td></tr>',
        )
        return Response(html, content_type="text/html; charset=utf-8")

    def _ui(self, request: Request) -> Response:
        origin_id = request.path.removeprefix("/ui/")
        action = request.form.get("action", "")
        if action in SIMULATORS and origin_id in self.orders:
            with contextlib.suppress(Refused):  # the page just shows the order as it is
                self._simulate(action, origin_id)
        return Response("", status=303, headers={"Location": "/"})


SIMULATORS = {
    "accept": DadaStandin.sim_accept,
    "arrive": DadaStandin.sim_arrive,
    "fetch": DadaStandin.sim_fetch,
    "finish": DadaStandin.sim_finish,
    "cancel": DadaStandin.sim_cancel,
    "expire": DadaStandin.sim_expire,
}
ENDPOINTS = {
    "/api/order/queryDeliverFee": DadaStandin.query_deliver_fee,
    "/api/order/addAfterQuery": DadaStandin.add_after_query,
    "/api/order/addOrder": DadaStandin.add_order,
    "/api/order/reAddOrder": DadaStandin.re_add_order,
    "/api/order/addTip": DadaStandin.add_tip,
    "/api/order/formalCancel": DadaStandin.formal_cancel,
    "/api/order/cancel/reasons": DadaStandin.cancel_reasons,
    "/api/order/status/query": DadaStandin.status_query,
    "/api/balance/query": DadaStandin.balance_query,
    "/api/order/accept": DadaStandin.sim_accept_api,
    "/api/order/arrive": DadaStandin.sim_arrive_api,
    "/api/order/fetch": DadaStandin.sim_fetch_api,
    "/api/order/finish": DadaStandin.sim_finish_api,
    "/api/order/cancel": DadaStandin.sim_cancel_api,
    "/api/order/expire": DadaStandin.sim_expire_api,
}
UI_ACTIONS = [
    ("accept", "接单"),
    ("arrive", "到店"),
    ("fetch", "取货"),
    ("finish", "完成"),
    ("cancel", "取消"),
    ("expire", "过期"),
]
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>达达开放平台 - 本地模拟</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#222}}
main{{max-width:960px;margin:0 auto;padding:24px 16px}}
h1{{color:#1677ff;font-size:20px}} table{{width:100%;border-collapse:collapse;background:#fff}}
td,th{{padding:8px;border-bottom:1px solid #eee;text-align:left}}
button{{margin:2px;padding:8px 10px;min-height:36px;border:1px solid #1677ff;background:#fff;
color:#1677ff;border-radius:6px;cursor:pointer}}
</style></head>
<body><main>
<h1>达达开放平台（本地模拟）</h1>
<p>商户余额 ¥{balance} · 每 5 秒刷新 · 按钮即测试环境的模拟接口，状态变化会回调商城</p>
<table><thead><tr><th>订单号</th><th>状态</th><th>骑士</th><th>运费</th><th>模拟</th></tr></thead>
<tbody>{rows}</tbody></table>
</main></body></html>"""


PORT_TAKEN = 3  # the exit status when the port is in use (make run then uses the one there)


def serve_forever(port: int = DEFAULT_PORT, host: str = LOOPBACK, **options: Any) -> int:
    """Run the stand-in in the foreground and print the settings that point the app at it."""
    standin = DadaStandin(**options)
    try:
        standin.start(port, host)
    except (OSError, SystemExit):
        print(f"# port {port} is taken: a Dada stand-in may be running there already", flush=True)
        return PORT_TAKEN
    for key, value in standin.settings().items():
        print(f"{key}={value}")
    print(f"# Dada stand-in on {standin.url} (orders and simulators: {standin.url}/)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_forever.__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--app-key", default=APP_KEY)
    parser.add_argument("--app-secret", default=APP_SECRET)
    parser.add_argument("--source-id", default=SOURCE_ID)
    parser.add_argument("--balance", type=int, default=100_000, help="the merchant's balance, fen")
    args = parser.parse_args()
    sys.exit(
        serve_forever(
            args.port,
            args.host,
            app_key=args.app_key,
            app_secret=args.app_secret,
            source_id=args.source_id,
            balance_fen=args.balance,
        )
    )
