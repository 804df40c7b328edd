#!/usr/bin/env python3
"""Serves a folder over HTTP on loopback and demands HTTP Basic auth on every request:
enough for git's dumb HTTP protocol (a bare repository after `git update-server-info`).

Usage: basic_auth_git_server.py DIRECTORY
The expected "username:password" is the first line of stdin, so it never shows in a process
listing. Prints "port N" once listening. SLIPWAY_TEST_DELAY_MS slows every answer down, so
a test can watch the client while it works.
"""
import base64
import functools
import http.server
import os
import sys
import time


def main():
    directory = sys.argv[1]
    expected = sys.stdin.readline().rstrip("\n")
    token = "Basic " + base64.b64encode(expected.encode()).decode()
    delay = int(os.environ.get("SLIPWAY_TEST_DELAY_MS", "0")) / 1000.0

    class Handler(http.server.SimpleHTTPRequestHandler):
        def authorized(self):
            time.sleep(delay)
            if self.headers.get("Authorization") == token:
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="slipway-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def do_GET(self):
            if self.authorized():
                super().do_GET()

        def do_HEAD(self):
            if self.authorized():
                super().do_HEAD()

        def log_message(self, format, *args):
            sys.stderr.write("server: " + (format % args) + "\n")

    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
