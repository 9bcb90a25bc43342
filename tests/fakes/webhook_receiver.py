"""A webhook receiver on loopback that records what it gets and answers from a script.

    with WebhookReceiver() as receiver:
        receiver.script(answer(500), answer(200))
        ... deliver to receiver.url("/hook") ...
        receiver.requests[0].headers["webhook-id"]

Each request takes the next scripted behaviour (the last one repeats; 200 when
none was given). Behaviours: `answer(status, delay=...)`, `hang()` (no answer until the
receiver stops or `release()`), `redirect(location)`, `endless_body()` (a 200
whose body never ends), `drip_headers()` (the status line one byte at a time).
`connections` counts TCP connections accepted, requests or not.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Behaviour = Callable[[BaseHTTPRequestHandler, "WebhookReceiver"], None]
MAX_HANG_SECONDS = 120


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    received_at: float  # time.monotonic()


def answer(
    status: int, body: bytes = b"ok", headers: dict[str, str] | None = None, delay: float = 0.0
) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler, receiver: WebhookReceiver) -> None:
        receiver.released.wait(delay)
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


def redirect(location: str, status: int = 302) -> Behaviour:
    return answer(status, b"", {"Location": location})


def hang() -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler, receiver: WebhookReceiver) -> None:
        receiver.released.wait(MAX_HANG_SECONDS)
        handler.close_connection = True

    return behave


def endless_body(chunk: bytes = b"x" * 65536) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler, receiver: WebhookReceiver) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            while not receiver.released.is_set():
                handler.wfile.write(chunk)
                receiver.body_bytes_sent += len(chunk)
        except OSError:
            pass  # the client stopped reading and closed: what the test wants

    return behave


def drip_headers(interval: float = 0.05) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler, receiver: WebhookReceiver) -> None:
        handler.close_connection = True
        try:
            while not receiver.released.is_set():
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: ":
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    time.sleep(interval)
        except OSError:
            pass

    return behave


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        request = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        with receiver.lock:
            receiver.requests.append(request)
            behaviour = receiver.next_behaviour()
        receiver.received.set()
        behaviour(self, receiver)

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        receiver: WebhookReceiver,
        reserved: socket.socket | None = None,
    ) -> None:
        self.receiver = receiver
        if reserved is None:
            super().__init__(address, _Handler)
            return
        super().__init__(reserved.getsockname(), _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = reserved
        self.server_activate()

    def verify_request(self, request: socket.socket, client_address: object) -> bool:
        with self.receiver.lock:
            self.receiver.connections += 1
        return True


class WebhookReceiver:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: ssl.SSLContext | None = None,
        reserved: socket.socket | None = None,
    ) -> None:
        """`tls`: a server context to speak HTTPS with; the SNI names asked for are recorded.

        `reserved`: a socket from `reserve_port()` to start listening on, in place of
        binding `host` and `port`.
        """
        self.requests: list[ReceivedRequest] = []
        self.server_names: list[str | None] = []
        self.connections = 0
        self.body_bytes_sent = 0
        self.lock = threading.Lock()
        self.received = threading.Event()
        self.released = threading.Event()
        self._script: list[Behaviour] = []
        self._server = _Server((host, port), self, reserved)
        self.scheme = "http"
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        return f"{self.scheme}://{host or '127.0.0.1'}:{self.port}{path}"

    def script(self, *behaviours: Behaviour) -> None:
        with self.lock:
            self._script = list(behaviours)

    def next_behaviour(self) -> Behaviour:
        if not self._script:
            return answer(200)
        if len(self._script) == 1:
            return self._script[0]
        return self._script.pop(0)

    def release(self) -> None:
        """End every hang and endless answer."""
        self.released.set()

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    """A loopback port nothing listens on right now, for a server started at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reserve_port() -> socket.socket:
    """A loopback port held for a receiver that is down for a while.

    Bound but not listening, it refuses connections as a stopped receiver does,
    and no other socket (an outgoing connection's ephemeral port among them) can
    take it before `WebhookReceiver(reserved=...)` listens on it.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
