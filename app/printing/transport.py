"""Raw TCP (port 9100 style) delivery of ESC/POS bytes to a network receipt printer."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Protocol

from app.adapters import Registry

# After our half-close, how long to wait for the printer to close its side. Closing while the
# printer's status bytes sit unread makes the kernel send RST, which can drop the ticket's tail.
DRAIN_SECONDS = 1.0


class PrinterUnreachable(Exception):
    """The printer could not be reached or stopped accepting data; the print job may retry."""


def send_to_printer(host: str, port: int, data: bytes, timeout: float = 3.0) -> None:
    """Send one ticket over its own connection; raise PrinterUnreachable instead of OSError."""
    try:
        connection = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise PrinterUnreachable(f"打印机 {host}:{port} 无法连接：{_reason(exc)}") from exc
    with connection:
        try:
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise PrinterUnreachable(f"打印机 {host}:{port} 发送失败：{_reason(exc)}") from exc
        _drain(connection, min(timeout, DRAIN_SECONDS))


def _drain(connection: socket.socket, seconds: float) -> None:
    """Read whatever the printer says back until it hangs up; the ticket is already sent."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            if not connection.recv(1024):
                return
    except OSError:
        pass


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


# ---- printers behind one adapter pattern ---------------------------------------------------


@dataclass(frozen=True)
class PrinterTarget:
    """Where a store's tickets go: the printer kind and its address."""

    kind: str
    host: str
    port: int
    timeout: float


class Printer(Protocol):
    name: str

    def send(self, target: PrinterTarget, data: bytes) -> None:
        """Deliver one ticket; raise PrinterUnreachable so the print job retries."""


PRINTERS: Registry[Printer] = Registry("printer")


@PRINTERS.register("lan")
class LanPrinter:
    """An ESC/POS printer on the shop's network, raw TCP on port 9100."""

    name = "lan"

    def send(self, target: PrinterTarget, data: bytes) -> None:
        send_to_printer(target.host, target.port, data, timeout=target.timeout)


def print_to(target: PrinterTarget, data: bytes) -> None:
    PRINTERS.get(target.kind).send(target, data)
