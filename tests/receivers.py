"""Real receivers on 127.0.0.1 for the delivery tests and the benchmark: an HTTP server that
records each webhook POST (and can answer 500, or hold a request until told), and an SMTP
server (aiosmtpd) that records each message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict


@dataclass
class WebhookReceiver:
    """``status``: what to answer (200, or 500 while "down"). ``hold_on``: the n-th request
    (1-based) is recorded, then held until ``release`` is set, so that a test can kill the
    sender while it waits for the answer."""

    status: int = 200
    hold_on: int | None = None
    received: list[Received] = field(default_factory=list)
    got_held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    answer: bytes = b'{"errcode": 0, "errmsg": "ok"}'

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                with receiver.lock:
                    if receiver.status == 200:
                        receiver.received.append(
                            Received(
                                parts.path,
                                dict(urllib.parse.parse_qsl(parts.query)),
                                dict(self.headers),
                                json.loads(raw.decode("utf-8")),
                            )
                        )
                    count = len(receiver.received)
                    status = receiver.status
                if receiver.hold_on is not None and count == receiver.hold_on and status == 200:
                    receiver.got_held.set()
                    receiver.release.wait(120)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a held answer to a killed sender: a broken pipe, expected

        self.lock = threading.Lock()
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=t0k"

    def ids(self) -> list[str]:
        """The delivery id of each request received, in order (from the body, whatever the
        kind: the generic body's ``id``, the robots' content's last line)."""
        out = []
        for item in self.received:
            if "id" in item.body:
                out.append(item.body["id"])
            else:
                out.append(re.findall(r"\b[0-9a-f]{32}\b", item.body["text"]["content"])[-1])
        return out

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def dingtalk_signature_ok(secret: str, query: dict[str, str]) -> bool:
    """DingTalk's check, written apart from the app's: base64 of HMAC-SHA256 over
    "timestamp\\nsecret", compared after URL-decoding the ``sign`` parameter."""
    string_to_sign = f"{query['timestamp']}\n{secret}".encode()
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), string_to_sign, digestmod=hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, query["sign"])


class SmtpReceiver:
    """aiosmtpd on a free port of 127.0.0.1, keeping each message."""

    def __init__(self):
        import socket

        from aiosmtpd.controller import Controller

        receiver = self
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                receiver.messages.append(message_from_bytes(envelope.content))
                receiver.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
