"""A real HTTP server that records what is posted to it: where alerts are sent in tests."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

T = TypeVar("T")


def _wait_for(arrived: list[T], count: int, timeout: float) -> list[T]:
    """What has arrived once there are ``count`` of them, or when ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    while len(arrived) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(arrived)


@contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    """``server`` answering on a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Receiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    healthy: bool = True
    """What GET answers: 200 while healthy, 503 otherwise (for uptime checks)."""

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        return _wait_for(self.received, count, timeout)

    def titled(self, prefix: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first alert whose title starts with ``prefix``, once it has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.received):
                if str(message["body"].get("title", "")).startswith(prefix):
                    return message["body"]
            time.sleep(0.1)
        titles = [m["body"].get("title") for m in self.received]
        raise AssertionError(f"no alert titled {prefix!r} within {timeout} s; got {titles}")


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A receiver on a free local port, stopped after the block."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            try:
                parsed: Any = json.loads(body)
            except ValueError:
                parsed = body.decode(errors="replace")
            state.received.append({"path": self.path, "body": parsed})
            self.send_response(200)
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200 if state.healthy else 503)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}' if state.healthy else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    with _serving(server):
        yield state


@dataclass
class MailReceiver:
    host: str
    port: int
    messages: list[str] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        return _wait_for(self.messages, count, timeout)


@contextmanager
def mail_receiver() -> Iterator[MailReceiver]:
    """A minimal SMTP server (plain, no authentication) that keeps each message's text."""
    state = MailReceiver("127.0.0.1", 0)

    class Session(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())

        def handle(self) -> None:
            self.reply("220 receiver ESMTP")
            while line := self.rfile.readline():
                command = line.decode(errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.reply("250 receiver")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (body := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(body.decode(errors="replace"))
                    state.messages.append("".join(lines))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:  # HELO, MAIL FROM, RCPT TO, RSET, NOOP
                    self.reply("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
    server.daemon_threads = True
    state.port = server.server_address[1]
    with _serving(server):
        yield state
