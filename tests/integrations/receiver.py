"""A real HTTP server that receives webhooks in tests: it keeps every request and answers as told.

    def test_it_retries(receiver):
        receiver.answer(500, 500)      # the next two requests get 500, then 200 again
        ...                            # deliver to receiver.url
        assert [r.status for r in receiver.requests] == [500, 500, 200]

Each request keeps its headers and its raw body bytes, exactly as they arrived, so signatures can be
checked the way a real receiver checks them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: CaseInsensitiveDict
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.json()["type"]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up waiting (a timeout test) is expected, not a failure


class Receiver:
    """ThreadingHTTPServer on 127.0.0.1 and a free port, serving from a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: list[int] = []
        self._stalls: list[float] = []
        self._received: list[Received] = []
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def events(self) -> list[str]:
        return [request.event for request in self.requests]

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these status codes, in order; 200 after them."""
        with self._lock:
            self._answers.extend(statuses)

    def stall(self, seconds: float) -> None:
        """Keep the next request waiting this long before answering (a receiver that hangs)."""
        with self._lock:
            self._stalls.append(seconds)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_status(self) -> int:
        with self._lock:
            return self._answers.pop(0) if self._answers else 200

    def _next_stall(self) -> float:
        with self._lock:
            return self._stalls.pop(0) if self._stalls else 0

    def _keep(self, request: Received) -> None:
        with self._lock:
            self._received.append(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._next_status()
                receiver._keep(Received("POST", self.path, CaseInsensitiveDict(self.headers.items()), body, status))
                time.sleep(receiver._next_stall())
                answer = f"answered {status}".encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        return Handler


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()
