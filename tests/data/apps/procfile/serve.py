"""Web process of the Procfile-only sample app (python3 standard library)."""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"Hello from slipway-procfile\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


port = int(os.environ.get("PORT", "5000"))
server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"slipway-procfile listening on port {port}", flush=True)
try:
    server.serve_forever()
finally:
    server.server_close()
