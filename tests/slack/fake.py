"""Slack without Slack, the way bolt-python's own tests do it: a local HTTP server on 127.0.0.1
answering the Web API methods the bot calls (and response URLs), recording every request, and
a minimal WebSocket server standing in for Socket Mode."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_USER = "UBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    """One request that reached the fake Slack: a Web API method or a response URL."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def json(self, name: str) -> Any:
        """A field the Web API client may have sent as a JSON string (form-encoded calls)."""
        value = self.body.get(name)
        return json.loads(value) if isinstance(value, str) else value


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.changed = threading.Condition()

    def add(self, call: Call) -> None:
        with self.changed:
            self.calls.append(call)
            self.changed.notify_all()

    def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float, what: str
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"timed out waiting for {what}; seen: {seen}")
                self.changed.wait(remaining)
            return list(self.calls)


class FakeSlack:
    """The Web API on a free port of 127.0.0.1; `users` maps Slack user ids to e-mail addresses."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = dict(users)
        #: method -> Slack error code, for a method that should fail
        self.failures: dict[str, str] = {}
        self.socket_url: str | None = None
        self._recorder = _Recorder()
        self._timestamps = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/respond/{name}"

    def calls(self, method: str | None = None) -> list[Call]:
        with self._recorder.changed:
            return [c for c in self._recorder.calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        calls = self._recorder.wait_for(
            lambda calls: sum(c.method == method for c in calls) >= count,
            timeout,
            f"{count} {method} call(s)",
        )
        return [c for c in calls if c.method == method]

    # --- answers ----------------------------------------------------------------------------

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "team": "Test team",
                "team_id": TEAM,
                "user": "workplan-tracker",
                "user_id": BOT_USER,
                "bot_id": "BBOT",
                "url": "https://test.slack.com/",
            }
        if method == "users.info":
            email = self.users.get(body.get("user", ""))
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": body["user"], "profile": {"email": email}}}
        if method == "users.lookupByEmail":
            found = [uid for uid, email in self.users.items() if email == body.get("email")]
            if not found:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": found[0]}}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = body.get("ts") or f"1578650000.{next(self._timestamps):06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts}
        if method in ("views.publish", "views.open", "views.update"):
            return {"ok": True, "view": {"id": "V0TEST"}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # keep the test output quiet
                pass

            def _serve(self, body: dict[str, Any]) -> None:
                path = urlparse(self.path).path
                headers = dict(self.headers.items())
                if path.startswith("/respond/"):
                    name = path.rsplit("/", 1)[1]
                    fake._recorder.add(Call(f"response:{name}", body, headers))
                    self._reply(b"ok", "text/plain")
                    return
                method = path.removeprefix("/api/")
                answer = fake._answer(method, body)
                fake._recorder.add(Call(method, body, headers))
                self._reply(json.dumps(answer).encode(), "application/json")

            def _reply(self, payload: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve(dict(parse_qsl(urlparse(self.path).query)))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = dict(parse_qsl(raw))
                body.update(parse_qsl(urlparse(self.path).query))
                self._serve(body)

        return Handler


_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketMode:
    """A WebSocket server on 127.0.0.1 speaking just enough RFC 6455 for Socket Mode: it sends
    envelopes as text frames and records the acknowledgements that come back."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connection: socket.socket | None = None
        self._connected = threading.Event()
        self._recorder = _Recorder()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"ws://{host}:{port}/link?ticket=test"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._listener.close()
        self.hang_up()

    def hang_up(self) -> None:
        if self._connection is not None:
            self._connection.shutdown(socket.SHUT_RDWR)
            self._connection.close()
            self._connection = None

    def send(self, envelope: dict[str, Any], timeout: float = 5.0) -> None:
        assert self._connected.wait(timeout), "the Socket Mode client never connected"
        assert self._connection is not None
        payload = json.dumps(envelope).encode()
        self._connection.sendall(self._frame(0x1, payload))

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        def acked(calls: list[Call]) -> bool:
            return any(c.body.get("envelope_id") == envelope_id for c in calls)

        calls = self._recorder.wait_for(acked, timeout, f"the ack of {envelope_id}")
        return next(c.body for c in calls if c.body.get("envelope_id") == envelope_id)

    @staticmethod
    def _frame(opcode: int, payload: bytes) -> bytes:
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            return head + bytes([len(payload)]) + payload
        if len(payload) < 65536:
            return head + bytes([126]) + struct.pack("!H", len(payload)) + payload
        return head + bytes([127]) + struct.pack("!Q", len(payload)) + payload

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return  # closed before anyone connected
        self._connection = connection
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(1024)
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        connection.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self._connected.set()
        try:
            self._read_frames(connection)
        except OSError:
            return

    def _read_exactly(self, connection: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = connection.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _read_frames(self, connection: socket.socket) -> None:
        while True:
            first, second = self._read_exactly(connection, 2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read_exactly(connection, 2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read_exactly(connection, 8))
            mask = self._read_exactly(connection, 4) if second & 0x80 else b"\0\0\0\0"
            data = bytes(
                b ^ mask[i % 4] for i, b in enumerate(self._read_exactly(connection, length))
            )
            if opcode == 0x1:
                self._recorder.add(Call("socket", json.loads(data)))
            elif opcode == 0x9:  # ping
                connection.sendall(self._frame(0xA, data))
            elif opcode == 0x8:  # close
                return
