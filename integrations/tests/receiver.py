"""A real webhook receiver on loopback for the tests: an HTTP server in a thread that
verifies each request's Standard Webhooks signature and answers the codes it is told."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """`codes`: the answer to each request in turn (the last one repeats); `hold`: an
    Event the handler waits for before answering (a receiver that blocks)."""

    def __init__(self, *, codes=(200,), secret=None, hold=None):
        self.codes = list(codes)
        self.secret = secret
        self.hold = hold
        self.requests = []  # {"headers", "body", "verified", "payload"}
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                record = {"headers": headers, "body": body, "path": self.path}
                record["verified"], record["payload"] = receiver.verify(body, headers)
                with receiver._lock:
                    receiver.requests.append(record)
                    index = len(receiver.requests) - 1
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                code = receiver.codes[min(index, len(receiver.codes) - 1)]
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender went away (a killed worker)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kam"

    def verify(self, body, headers):
        if self.secret is None:
            return None, json.loads(body or b"null")
        try:
            return True, Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False, None

    def ids(self):
        return [request["headers"].get("webhook-id") for request in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """A receiver that accepts connections and never answers (a hung server)."""

    def __init__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks/kam"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.sock.close()
