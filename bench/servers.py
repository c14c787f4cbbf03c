"""gunicorn processes started by the bench, and only those, stopped whatever happens."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py -w N -b 127.0.0.1:<port> <module:app>` with its own
    environment and log file (the config's timeouts; its access log off)."""

    def __init__(
        self,
        name: str,
        target: str,
        env: dict[str, str],
        workers: int,
        log_dir: Path,
        ready_path: str,
        worker_class: str = "sync",
    ):
        self.name, self.target, self.workers = name, target, workers
        self.worker_class = worker_class
        self.env = {**os.environ, "ACCESS_LOG": "", **env}  # no access log while measuring
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "-w",
            str(self.workers),
            "-k",
            self.worker_class,
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            self.target,
        ]

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the bench, which stops this in order
        )
        log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn ({self.name}) exited with {self.process.returncode}:\n"
                    + self.log_tail()
                )
            if self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn ({self.name}) not ready after {timeout:.0f} s:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", self.ready_path)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the master we started (it stops its workers), SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
