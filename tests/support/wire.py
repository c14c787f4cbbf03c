"""What an answer costs on the wire over HTTP/1.1: its status line, its headers, the headers the
server adds by itself (Date, Server, Connection: counted as gunicorn writes them) and its body."""

from __future__ import annotations

SERVER_HEADERS = len(
    b"Server: gunicorn\r\nDate: Mon, 30 Nov 2026 16:17:28 GMT\r\nConnection: keep-alive\r\n"
)


def wire_bytes(response) -> int:
    status = f"HTTP/1.1 {response.status}\r\n".encode()
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
    return len(status) + len(headers.encode("latin-1")) + SERVER_HEADERS + 2 + len(response.data)
