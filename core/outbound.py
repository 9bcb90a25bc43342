"""One outbound POST to a webhook receiver, made safe to aim at a stranger's URL.

- The URL goes through the private-address guard, and the connection is made
  to an address the guard vetted (no second DNS lookup), while the Host header,
  TLS SNI and certificate check use the URL's host name.
- Redirects are not followed: a 3xx is an answer like any other.
- `timeout` bounds the whole exchange (connect, send, headers, body), not each
  socket read: a receiver dripping one byte at a time cannot hold a worker.
- At most RESPONSE_BODY_LIMIT bytes of the answer are read; the rest is dropped
  with the connection.

`open_get()` is the same pinned connection for a streamed GET (the upload of a
file given by URL), so every request to a URL that a client chose goes through here.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection

from core.ssrf import AddressGuard, UnsafeTarget, VettedTarget

RESPONSE_BODY_LIMIT = 64 * 1024
USER_AGENT = "medialib-webhooks/1.0"
_READ_CHUNK = 16 * 1024
# What trouble with the receiver can raise. ValueError covers a certificate for
# another host name (urllib3's CertificateError) and what http.client refuses to send.
NETWORK_ERRORS = (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError, ValueError)


@dataclass(frozen=True)
class Outcome:
    """What one request got: a status code and the start of the body, or an error."""

    status_code: int | None
    body: bytes
    error: str
    duration_ms: int


class _Deadline:
    """Shuts the connection's socket down when the time is up, waking a blocked read.

    Socket timeouts only bound each read; this bounds the whole exchange. It
    cannot interrupt the TCP connect itself (there is no socket to shut yet),
    so the connect gets the remaining time as its own timeout.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = threading.Event()
        self._started = time.monotonic()
        self._connection: HTTPConnection | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return max(self.seconds - (time.monotonic() - self._started), 0.001)

    def watch(self, connection: HTTPConnection) -> None:
        self._connection = connection
        if self.expired.is_set():
            self._shutdown()

    def _expire(self) -> None:
        self.expired.set()
        self._shutdown()

    def _shutdown(self) -> None:
        sock = self._connection.sock if self._connection is not None else None
        if sock is not None:
            # socket.socket's own method: SSLSocket.shutdown would first
            # detach its SSL object under the reading thread's feet.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `url`; never raises for network trouble, returns it as an Outcome."""
    started = time.monotonic()

    def outcome(status_code: int | None = None, content: bytes = b"", error: str = "") -> Outcome:
        duration_ms = round((time.monotonic() - started) * 1000)
        return Outcome(status_code, content, error, duration_ms)

    try:
        target = AddressGuard.vet(url)
    except UnsafeTarget as exc:
        return outcome(error=f"Refused: the URL {exc}")
    request_headers = _request_headers(target, {"Content-Type": "application/json", **headers})
    with _Deadline(timeout) as deadline:
        connection = None
        try:
            connection, response = _send(target, "POST", request_headers, body, deadline=deadline)
            content = _read_capped(response, deadline)
            return outcome(response.status, content)
        except NETWORK_ERRORS as exc:
            if deadline.expired.is_set():
                return outcome(error=f"No complete answer within {timeout:g} s")
            return outcome(error=f"{type(exc).__name__}: {exc}"[:1000])
        finally:
            if connection is not None:
                connection.close()


class DeadlinePassed(TimeoutError):
    """The whole exchange (body included) outlasted `open_get`'s `total` seconds."""


@contextlib.contextmanager
def open_get(
    url: str, *, timeout: float, total: float | None = None
) -> Iterator[urllib3.BaseHTTPResponse]:
    """GET `url` from a vetted address and yield the answer, its body not yet read.

    The status line and headers must arrive within `timeout`; after that each
    read of the body may take as long (the socket timeout `_connect` sets).
    `total`, if given, bounds the whole exchange from the first connect to the
    last byte read: when it passes the socket is shut, so a server that drips a
    byte now and then cannot hold the caller; the pending read then raises
    DeadlinePassed. Redirects are the caller's to follow (through this function
    again, so each hop is vetted). Raises UnsafeTarget, TimeoutError, or one of
    NETWORK_ERRORS.
    """
    target = AddressGuard.vet(url)
    # The body is stored as sent: ask for it unencoded.
    headers = _request_headers(target, {"Accept-Encoding": "identity"})
    connection = None
    overall = _Deadline(total) if total is not None else contextlib.nullcontext()
    try:
        with overall:
            with _Deadline(timeout) as deadline:
                try:
                    connection, response = _send(target, "GET", headers, None, deadline=deadline)
                except NETWORK_ERRORS:
                    if deadline.expired.is_set():
                        raise TimeoutError(f"no answer within {timeout:g} s") from None
                    raise
            if isinstance(overall, _Deadline):
                overall.watch(connection)
            try:
                yield response
            except NETWORK_ERRORS:
                if isinstance(overall, _Deadline) and overall.expired.is_set():
                    raise DeadlinePassed(f"not complete within {total:g} s") from None
                raise
            if isinstance(overall, _Deadline) and overall.expired.is_set():
                # A shut socket may read as a clean end of the body: never a whole file.
                raise DeadlinePassed(f"not complete within {total:g} s")
    finally:
        if connection is not None:
            connection.close()


def _send(
    target: VettedTarget,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    deadline: _Deadline,
) -> tuple[HTTPConnection, urllib3.BaseHTTPResponse]:
    """Connect to a vetted address and send one request; the answer's body is left unread."""
    connection = _connect(target, deadline=deadline)
    try:
        connection.request(
            method,
            target.request_target,
            body=body,
            headers=headers,
            preload_content=False,
            decode_content=False,
        )
        return connection, connection.getresponse()
    except BaseException:
        connection.close()
        raise


def _request_headers(target: VettedTarget, extra: dict[str, str]) -> dict[str, str]:
    headers = {"Host": target.host_header, "User-Agent": USER_AGENT, **extra}
    if target.username is not None:
        credentials = f"{target.username}:{target.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    return headers


def _connect(target: VettedTarget, *, deadline: _Deadline) -> HTTPConnection:
    """Connect to the first vetted address that answers (TLS handshake included)."""
    error: Exception | None = None
    for address in target.addresses:
        if deadline.expired.is_set():
            break
        if target.scheme == "https":
            connection: HTTPConnection = HTTPSConnection(
                address,
                target.port,
                timeout=deadline.remaining(),
                server_hostname=target.hostname,
                assert_hostname=target.hostname,
                cert_reqs="CERT_REQUIRED",
                ca_certs=settings.WEBHOOKS_CA_BUNDLE or certifi.where(),
            )
        else:
            connection = HTTPConnection(address, target.port, timeout=deadline.remaining())
        # Watched from before the connect, so that a TLS handshake is bounded too.
        deadline.watch(connection)
        try:
            connection.connect()
        except NETWORK_ERRORS as exc:
            connection.close()
            error = exc
            continue
        # From here the deadline alone ends the exchange; a socket timeout
        # racing it would only blur the error message. (urllib3 applies
        # `timeout` to the socket again before reading the answer.)
        connection.timeout = deadline.seconds + 1
        connection.sock.settimeout(connection.timeout)
        return connection
    raise error or TimeoutError("no address left to try")


def _read_capped(response: urllib3.BaseHTTPResponse, deadline: _Deadline) -> bytes:
    chunks: list[bytes] = []
    remaining = RESPONSE_BODY_LIMIT
    while remaining > 0 and not deadline.expired.is_set():
        chunk = response.read(min(_READ_CHUNK, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    if deadline.expired.is_set():
        raise TimeoutError("deadline passed while reading the body")
    return b"".join(chunks)
