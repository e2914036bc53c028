# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny scripted AMT-like HTTP server on 127.0.0.1 for transport and client unit tests (real sockets).

It challenges with Digest the way AMT does (401 + Connection: close, AMT's separator quirk), verifies
RFC 2617 answers independently of the code under test, and can be told to mark nonces stale, drop
connections, or stall. Each request is recorded for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOAP_CONTENT_TYPE = "application/soap+xml; charset=UTF-8"
_AUTH_PARAM = re.compile(r'([a-z]+)=(?:"([^"]*)"|([^,\s]+))')


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


class Record:
    def __init__(self, client_port, authorization, body, status, peer_cert):
        self.client_port = client_port
        self.authorization = authorization
        self.body = body
        self.status = status
        self.peer_cert = peer_cert


class FakeAmt:
    def __init__(self, username="admin", password="Secr3t!Pass", realm="Digest:F3EB554784E729164447A89F60B641C5",
                 ssl_context=None, challenge_style="amt"):
        self.username = username
        self.password = password
        self.realm = realm
        self.challenge_style = challenge_style
        self.ssl_context = ssl_context
        self.records = []
        self.responses = []
        self.default_response = (200, SOAP_CONTENT_TYPE, b"<ok/>")
        self.stale_nonces = set()
        self.valid_nonces = set()
        self.drop_next = 0
        self.stall_next = 0
        self.stall_seconds = 0.0
        self.stall_released = threading.Event()
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # control -------------------------------------------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                fake.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.ssl_context is not None:
            self._server.socket = self.ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    @property
    def port(self):
        return self._server.server_address[1]

    def stop(self):
        self.stall_released.set()
        self._server.shutdown()
        self._server.server_close()

    def expire_nonces(self):
        """Make every nonce issued so far stale, as AMT does when its nonce timer runs out."""
        with self._lock:
            self.stale_nonces |= self.valid_nonces
            self.valid_nonces = set()

    def authorized_records(self):
        return [record for record in self.records if record.authorization is not None]

    # request handling -----------------------------------------------------------------------------------------
    def _challenge_header(self, stale):
        nonce = base64.b64encode(os.urandom(24)).decode()
        with self._lock:
            self.valid_nonces.add(nonce)
        stale_text = "true" if stale else "false"
        if self.challenge_style == "spaces":
            return 'Digest realm="%s" nonce="%s" stale="%s" qop="auth"' % (self.realm, nonce, stale_text)
        if self.challenge_style == "basic":
            return 'Basic realm="%s"' % self.realm
        return 'Digest realm="%s", nonce="%s",stale="%s",qop="auth"' % (self.realm, nonce, stale_text)

    def _verify(self, authorization):
        """'ok', 'stale' or 'bad' for an Authorization header value."""
        if not authorization.startswith("Digest "):
            return "bad"
        fields = {name: quoted if quoted else bare for name, quoted, bare in _AUTH_PARAM.findall(authorization)}
        nonce = fields.get("nonce")
        ha1 = md5_hex("%s:%s:%s" % (self.username, self.realm, self.password))
        ha2 = md5_hex("POST:%s" % fields.get("uri"))
        expected = md5_hex("%s:%s:%s:%s:%s:%s" % (ha1, nonce, fields.get("nc"), fields.get("cnonce"), fields.get("qop"), ha2))
        if fields.get("username") != self.username or fields.get("realm") != self.realm or fields.get("response") != expected:
            return "bad"
        with self._lock:
            if nonce in self.stale_nonces:
                return "stale"
            return "ok" if nonce in self.valid_nonces else "bad"

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        authorization = handler.headers.get("Authorization")
        peer = handler.connection.getpeercert() if self.ssl_context is not None else None
        record = Record(handler.client_address[1], authorization, body, None, peer)
        self.records.append(record)
        verdict = self._verify(authorization) if authorization else "missing"
        if verdict != "ok":
            record.status = 401
            page = b"<HTML>Log on failed. Incorrect user name or password, or user account temporarily locked.</HTML>"
            handler.send_response(401)
            handler.send_header("WWW-Authenticate", self._challenge_header(stale=verdict == "stale"))
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(page)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(page)
            handler.close_connection = True
            return
        if self.drop_next:
            self.drop_next -= 1
            record.status = "dropped"
            handler.close_connection = True
            return
        if self.stall_next:
            self.stall_next -= 1
            record.status = "stalled"
            self.stall_released.wait(self.stall_seconds)
            handler.close_connection = True
            return
        status, content_type, payload = self.responses.pop(0) if self.responses else self.default_response
        if callable(payload):
            payload = payload(body)
        record.status = status
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Server", "Intel(R) Active Management Technology 16.1.27.2176")
        handler.end_headers()
        handler.wfile.write(payload)
