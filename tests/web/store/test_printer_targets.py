"""Where a store may point its printer, and 测试打印 reporting through the queue (Hardening §7).

The rule's own table runs on config dicts; the pages run on the test app with the production
rule (`PRINTER_ALLOW_LOOPBACK` off) unless they print to the loopback PrinterListener.
"""

from __future__ import annotations

import socket

import pytest

from app.accounts.models import Role
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.printing.targets import vet_printer_target
from app.stores.models import Store
from tests.factories import make_store, make_user
from tests.support.printer import PrinterListener, printed_lines
from worker import work

HX = {"HX-Request": "true"}
PRODUCTION = {"PRINTER_ALLOW_LOOPBACK": False, "LAN_PRINTERS_ENABLED": False}


@pytest.fixture
def dns(monkeypatch):
    """Names under .example answer what the test writes here (and change when it does)."""
    records: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if not (isinstance(host, str) and host.endswith(".example")):
            return real(host, *args, **kwargs)
        if host not in records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
            for a in records[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return records


def refusal(host: str, port: int = 9100, **config) -> str | None:
    """The code of the rule's refusal, None when the target is allowed."""
    try:
        vet_printer_target(host, port, {"PRINTER_PORTS": "9100-9102", **config})
    except InvalidInput as refused:
        return refused.msg.code
    return None


REFUSED = "printer_target_refused"
LAN_CLOSED = "printer_lan_closed"
BAD_PORT = "printer_port_refused"
LAN = {"LAN_PRINTERS_ENABLED": True}


@pytest.mark.parametrize(
    ("host", "port", "config", "expected"),
    [
        ("8.8.8.8", 9100, {}, None),  # public: a printer the shop exposes or relays
        ("8.8.8.8", 9102, {}, None),
        ("8.8.8.8", 22, {}, BAD_PORT),
        ("8.8.8.8", 9103, {}, BAD_PORT),
        ("127.0.0.1", 9100, {}, REFUSED),
        ("localhost", 9100, {}, REFUSED),  # a name is judged by what it resolves to
        ("2130706433", 9100, {}, REFUSED),  # 127.0.0.1 as inet_aton reads it
        ("0x7f.1", 9100, {}, REFUSED),
        ("::1", 9100, {}, REFUSED),
        ("::ffff:127.0.0.1", 9100, LAN, REFUSED),
        ("169.254.169.254", 9100, LAN, REFUSED),  # cloud metadata
        ("100.100.100.200", 9100, LAN, REFUSED),  # Aliyun metadata (carrier NAT range)
        ("fe80::1", 9100, LAN, REFUSED),
        ("224.0.0.1", 9100, LAN, REFUSED),
        ("ff02::1", 9100, LAN, REFUSED),
        ("0.0.0.0", 9100, LAN, REFUSED),
        ("::", 9100, LAN, REFUSED),
        ("240.0.0.1", 9100, LAN, REFUSED),  # reserved
        ("2002:7f00:1::1", 9100, LAN, REFUSED),  # 6to4 leading to 127.0.0.1
        ("192.168.1.50", 9100, {}, LAN_CLOSED),
        ("10.1.2.3", 9100, {}, LAN_CLOSED),
        ("fd00::5", 9100, {}, LAN_CLOSED),
        ("192.168.1.50", 9100, LAN, None),
        ("172.16.5.5", 9101, LAN, None),
        ("fd00::5", 9100, LAN, None),
        ("192.168.1.50", 3306, LAN, BAD_PORT),
        # the stand-in on loopback, any port, only where tests allow it
        ("127.0.0.1", 54321, {"PRINTER_ALLOW_LOOPBACK": True}, None),
        # ... but never onto the platform's own services
        (
            "127.0.0.1",
            6379,
            {"PRINTER_ALLOW_LOOPBACK": True, "REDIS_URL": "redis://127.0.0.1:6379/0"},
            REFUSED,
        ),
        (
            "10.0.0.5",
            5432,  # the scheme's default port, not written in the URL
            {
                **LAN,
                "PRINTER_PORTS": "5432,9100",
                "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@10.0.0.5/hs",
            },
            REFUSED,
        ),
        (
            "10.0.0.5",
            9100,
            {**LAN, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@10.0.0.5/hs"},
            None,
        ),
        ("10.0.0.7", 9100, {**LAN, "S3_ENDPOINT_URL": "http://10.0.0.7:9100"}, REFUSED),
    ],
)
def test_the_printer_target_rule(host, port, config, expected):
    assert refusal(host, port, **config) == expected


def test_a_name_is_refused_if_any_of_its_addresses_is(dns):
    dns["printer.example"] = ["8.8.8.8", "169.254.169.254"]
    dns["good.example"] = ["8.8.8.8"]
    assert refusal("printer.example") == REFUSED
    assert refusal("good.example") is None
    assert refusal("nowhere.example") == "printer_host_unknown"


# ---- the printer page -------------------------------------------------------------------------


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨", printer_host="8.8.4.4", printer_port=9100)
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(user)
    return user


@pytest.fixture
def production_rule(app):
    app.config.update(PRODUCTION)


def save(client, host, port=9100, headers=None):
    data = {"printer_host": host, "printer_port": port, "printer_encoding": "gb18030"}
    return client.post("/store/printer", data=data, headers=headers or {})


@pytest.mark.parametrize(
    ("host", "port", "says"),
    [
        ("127.0.0.1", 9100, "打印机地址 127.0.0.1 不可使用"),
        ("localhost", 9100, "打印机地址 localhost 不可使用"),
        ("169.254.169.254", 9100, "打印机地址 169.254.169.254 不可使用"),
        ("192.168.1.50", 9100, "192.168.1.50 是局域网地址，平台未开放局域网打印机"),
        ("8.8.8.8", 6379, "打印机端口须为 9100-9102"),
    ],
)
def test_a_refused_address_is_not_saved_and_the_store_reads_why(
    client, store, owner, production_rule, host, port, says
):
    response = save(client, host, port, headers=HX)

    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    db.session.refresh(store)
    assert (store.printer_host, store.printer_port) == ("8.8.4.4", 9100)  # the old printer stays


def test_a_refusal_from_the_plain_form_goes_back_to_it_with_the_reason(
    client, store, owner, production_rule
):
    response = save(client, "127.0.0.1", headers={"Referer": "http://localhost/store/printer"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "打印机地址 127.0.0.1 不可使用" in page


def test_lan_printers_are_saved_once_the_platform_enables_them(app, client, store, owner):
    app.config.update(PRODUCTION, LAN_PRINTERS_ENABLED=True)

    response = save(client, "192.168.1.50")

    assert response.status_code == 303
    db.session.refresh(store)
    assert store.printer_host == "192.168.1.50"


def test_the_platforms_object_store_is_no_printer_even_on_the_lan(app, client, store, owner):
    app.config.update(PRODUCTION, LAN_PRINTERS_ENABLED=True, S3_ENDPOINT_URL="http://10.0.0.7:9100")

    assert save(client, "10.0.0.7").status_code == 422
    assert save(client, "10.0.0.8").status_code == 303  # its neighbour is fine


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then let go)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


def point_at(store: Store, port: int) -> None:
    store.printer_host, store.printer_port = "127.0.0.1", port
    commit()


def ask_for_a_test_print(client) -> list[tuple[int, bytes, str | None, str | None]]:
    """What the person gets back from 测试打印, plain and over HTMX."""
    answers = []
    for headers in ({}, HX):
        response = client.post("/store/printer/test", headers=headers)
        answers.append(
            (
                response.status_code,
                response.get_data(),
                response.headers.get("Location"),
                response.headers.get("HX-Trigger"),
            )
        )
    return answers


def test_test_print_answers_the_same_for_an_open_and_a_closed_port(client, store, owner):
    with PrinterListener() as printer:
        point_at(store, printer.port)
        open_answers = ask_for_a_test_print(client)
        tickets = printer.wait_for(2)
    open_page = client.get("/store/printer").get_data(as_text=True)

    point_at(store, closed_port())
    closed_answers = ask_for_a_test_print(client)
    closed_page = client.get("/store/printer").get_data(as_text=True)

    assert open_answers == closed_answers
    assert [status for status, *_ in open_answers] == [303, 200]
    assert "测试页已发送到打印机" in open_answers[1][1].decode()
    # the outcome is on the page once the job ran
    assert "测试成功" in open_page and "失败" not in open_page
    assert "失败：打印机无法连接" in closed_page and "测试成功" not in closed_page
    assert "看到本小票说明打印机连接正常" in [line.text for line in printed_lines(tickets[0])]


def test_a_name_that_resolves_elsewhere_by_send_time_gets_nothing(app, client, store, owner, dns):
    with PrinterListener() as printer:
        app.config.update(PRODUCTION, PRINTER_PORTS=str(printer.port))
        dns["printer.example"] = ["8.8.8.8"]  # what the name says when it is saved
        assert save(client, "printer.example", printer.port).status_code == 303
        dns["printer.example"] = ["127.0.0.1"]  # ... and when the test page is sent

        client.post("/store/printer/test")
        page = client.get("/store/printer").get_data(as_text=True)

        assert "失败：打印机地址 printer.example 不可使用" in page
        assert printer.received == []


def test_a_new_address_forgets_the_last_outcome(client, store, owner):
    point_at(store, closed_port())
    client.post("/store/printer/test")
    assert "打印机无法连接" in client.get("/store/printer").get_data(as_text=True)

    save(client, "127.0.0.1", closed_port())

    assert "打印机无法连接" not in client.get("/store/printer").get_data(as_text=True)


def test_the_outcome_comes_through_the_queue_not_the_request(app_factory, redis_url, login):
    """The factories write through the test's own app; the requests go to one with Redis."""
    queued = app_factory(REDIS_URL=redis_url)
    client = queued.test_client()
    with PrinterListener() as printer:
        store = make_store(name="椰城小厨", printer_host=printer.host, printer_port=printer.port)
        owner = make_user(Role.STORE_STAFF, store=store)
        commit()
        login(owner, test_client=client)

        answer = client.post("/store/printer/test", headers=HX)
        waiting = client.get("/store/printer/check", headers=HX).get_data(as_text=True)
        assert printer.received == []  # the request sent nothing itself
        assert work(burst=True, app=queued)
        printer.wait_for(1)
        done = client.get("/store/printer/check", headers=HX).get_data(as_text=True)

    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "printer-check"
    assert "正在检测打印机…" in waiting and "every 2s" in waiting  # the panel polls
    assert "测试成功" in done and "every 2s" not in done  # ... until the outcome is there


def test_test_prints_are_limited_per_store(app_factory, login):
    limited = app_factory(RATELIMIT_ENABLED=True, TEST_PRINT_RATE_LIMIT="3 per minute")
    port = closed_port()
    owners = [
        make_user(Role.STORE_STAFF, store=make_store(printer_host="127.0.0.1", printer_port=port))
        for _ in range(2)
    ]
    commit()
    first, second = limited.test_client(), limited.test_client()  # one address, two stores
    login(owners[0], test_client=first)
    login(owners[1], test_client=second)

    answers = [first.post("/store/printer/test", headers=HX) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "操作太频繁，请稍后再试" in answers[-1].get_data(as_text=True)
    assert second.post("/store/printer/test", headers=HX).status_code == 200


def test_changing_the_printer_is_limited_per_store(app_factory, login):
    limited = app_factory(RATELIMIT_ENABLED=True, PRINTER_CHANGE_RATE_LIMIT="2 per hour")
    owner = make_user(Role.STORE_STAFF, store=make_store())
    commit()
    client = limited.test_client()
    login(owner, test_client=client)

    codes = [save(client, "127.0.0.1", 9100 + n).status_code for n in range(3)]

    assert codes == [303, 303, 429]
    assert client.get("/store/printer").status_code == 200  # looking is not changing
