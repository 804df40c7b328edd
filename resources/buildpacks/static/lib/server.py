#!/usr/bin/env python3
"""Static file server added to apps by Slipway's static buildpack.

Serves the app folder (the parent of this script's folder) on $PORT:
  * "/" and folders answer with their index.html (a folder asked without
    its trailing slash is redirected to it first),
  * missing files answer 404, folders are never listed,
  * paths outside the app folder (including through symlinks) and any path
    with a component starting with "." (dotfiles, .profile.d, this server)
    answer 404.
Only the Python standard library is used.
"""

import mimetypes
import os
import posixpath
import shutil
import signal
import sys
import urllib.parse
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
NOT_FOUND = b"404 Not Found\n"


def resolve(url_path):
    """Map a URL path to a file under ROOT, or None when it must not be served."""
    path = urllib.parse.unquote(url_path.split("?", 1)[0].split("#", 1)[0])
    if "\x00" in path:
        return None
    parts = [part for part in posixpath.normpath("/" + path).split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    candidate = os.path.join(ROOT, *parts)
    if os.path.isdir(candidate):
        candidate = os.path.join(candidate, "index.html")
    real = os.path.realpath(candidate)
    if real != ROOT and not real.startswith(ROOT + os.sep):
        return None
    relative = os.path.relpath(real, ROOT)
    if any(part.startswith(".") for part in relative.split(os.sep)):
        return None
    if not os.path.isfile(real):
        return None
    return real


class Handler(BaseHTTPRequestHandler):
    def version_string(self):
        return "slipway-static"

    def do_GET(self):
        self.serve(send_body=True)

    def do_HEAD(self):
        self.serve(send_body=False)

    def serve(self, send_body):
        path = resolve(self.path)
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path is not None and not url_path.endswith("/") \
                and os.path.basename(path) == "index.html" \
                and not urllib.parse.unquote(url_path).endswith("index.html"):
            query = self.path[len(url_path):]
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", url_path + "/" + query)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path is None:
            self.send_response(HTTPStatus.NOT_FOUND)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(NOT_FOUND)))
            self.end_headers()
            if send_body:
                self.wfile.write(NOT_FOUND)
            return
        try:
            handle = open(path, "rb")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with handle:
            stat = os.fstat(handle.fileno())
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in (
                "application/javascript",
                "application/json",
                "image/svg+xml",
            ):
                content_type += "; charset=utf-8"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(stat.st_size))
            self.send_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
            self.end_headers()
            if send_body:
                shutil.copyfileobj(handle, self.wfile)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))


def main():
    port = int(os.environ.get("PORT", "5000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Serving {ROOT} on port {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
