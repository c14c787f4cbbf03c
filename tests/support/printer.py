"""A loopback stand-in for a network receipt printer, and a reader for what it was sent."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import NamedTuple, Self


class PrinterListener:
    """A real TCP server on 127.0.0.1 that keeps each connection's bytes, like a 9100 printer."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[bytes] = []
        self._arrived = threading.Condition()
        self._stopping = threading.Event()
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> Self:
        server = socket.create_server((self.host, 0))
        server.settimeout(0.05)
        self._server = server
        self.port = server.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._threads:
            # The accept loop comes first; once it has ended no connection thread is added.
            self._threads[0].join(timeout=5)
        for thread in self._threads[1:]:
            thread.join(timeout=5)
        if self._server is not None:
            self._server.close()
            self._server = None

    def wait_for(self, count: int = 1, timeout: float = 5) -> list[bytes]:
        """Block until `count` connections have finished sending; a copy of what they sent."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"expected {count} print job(s), got {len(self.received)}")
            return list(self.received)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._collect, connection)

    def _collect(self, connection: socket.socket) -> None:
        """Read until the sender half-closes, as a printer does, then record one job."""
        chunks: list[bytes] = []
        connection.settimeout(0.05)
        with connection:
            while not self._stopping.is_set():
                try:
                    chunk = connection.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        with self._arrived:
            self.received.append(b"".join(chunks))
            self._arrived.notify_all()


class PrintedLine(NamedTuple):
    """One row of paper: its text and how many times wider than normal it prints."""

    text: str
    scale: int


# The only commands render_receipt may emit, each with its fixed argument length.
_COMMAND = re.compile(
    rb"\x1b@|\x1c&|\x1d!(?P<size>[\x00-\xff])|(?:\x1b[!Ead]|\x1dV)[\x00-\xff]", re.DOTALL
)


def printed_lines(data: bytes, encoding: str = "gb18030") -> list[PrintedLine]:
    """Decode a ticket the way the printer would, failing on any command we do not expect."""
    lines: list[PrintedLine] = []
    scale, text, position = 1, b"", 0
    while position < len(data):
        if data[position] in (0x1B, 0x1C, 0x1D):
            match = _COMMAND.match(data, position)
            if match is None:
                raise ValueError(f"unexpected command {data[position : position + 3]!r}")
            if match["size"] is not None:
                scale = (match["size"][0] >> 4) + 1
            position = match.end()
        elif data[position] == 0x0A:
            lines.append(PrintedLine(text.decode(encoding), scale))
            text, position = b"", position + 1
        else:
            text += data[position : position + 1]
            position += 1
    if text:
        lines.append(PrintedLine(text.decode(encoding), scale))
    return lines
