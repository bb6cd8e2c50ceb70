"""A real SMTP server (aiosmtpd) and a stand-in for GOV.UK Notify's HTTP API, for the mail tests."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPSink:
    """aiosmtpd on 127.0.0.1:`port`, keeping every message it is given."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()

    def wait_for(self, count: int, timeout: float = 60.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} mails arrived"
        return self.messages


class FakeNotify:
    """GOV.UK Notify's `POST /v2/notifications/email`, checking the client's JWT as Notify does.

    `answers` is a list of status codes to give in turn (the last repeats)."""

    def __init__(self, service_id: str, secret: str, answers=(201,)):
        self.service_id, self.secret, self.answers = service_id, secret, list(answers)
        self.requests: list[dict] = []
        self.refused: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                import jwt

                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, fake.secret, algorithms=["HS256"])
                    assert claims["iss"] == fake.service_id and self.path == "/v2/notifications/email"
                except Exception as exc:  # noqa: BLE001
                    fake.refused.append(repr(exc))
                    return self._answer(403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]})
                fake.requests.append(body)
                code = fake.answers[min(len(fake.requests) - 1, len(fake.answers) - 1)]
                if code == 201:
                    return self._answer(201, {"id": f"notify-{len(fake.requests)}", "reference": body.get("reference")})
                return self._answer(code, {"errors": [{"error": "Error", "message": f"status {code}"}]})

            def _answer(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def api_key(self) -> str:
        return f"test_key-{self.service_id}-{self.secret}"

    def stop(self):
        self.httpd.shutdown()
