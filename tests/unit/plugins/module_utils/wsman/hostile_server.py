# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A raw-socket HTTP server on 127.0.0.1 that answers every request with a scripted, possibly hostile, byte stream:
huge bodies, bodies dripped a few bytes at a time, headers that never end. It counts what it managed to send, so a
test can tell how much of an answer the client read before it stopped.
"""

from __future__ import annotations

import socket
import threading
import time


class Answer:
    """What the server sends: `head` at once, then `body` in pieces of `piece` bytes with `pause` seconds between them.

    body is bytes, or a (byte, count) pair for a body too large to hold in memory.
    """

    def __init__(self, head, body=b"", piece=1024 * 1024, pause=0.0):
        self.head = head
        self.body = body
        self.piece = piece
        self.pause = pause

    def pieces(self):
        if isinstance(self.body, bytes):
            for start in range(0, len(self.body), self.piece):
                yield self.body[start:start + self.piece]
            return
        byte, count = self.body
        block = byte * self.piece
        for start in range(0, count, self.piece):
            yield block[:min(self.piece, count - start)]


def response_head(status="200 OK", content_type="application/soap+xml; charset=UTF-8", length=None, chunked=False, extra=()):
    lines = ["HTTP/1.1 %s" % status, "Content-Type: %s" % content_type]
    if length is not None:
        lines.append("Content-Length: %d" % length)
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class HostileServer:
    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = 0
        self.sent = []  # bytes sent for each answer, in order
        self.complete = []  # for each answer, whether all of it was sent
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._workers = []
        self._accepted = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self):
        return self._listener.getsockname()[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopped.set()
        self._thread.join(10)
        for connection in self._accepted:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes a worker waiting for the next request
            except OSError:
                pass
        for worker in self._workers:
            worker.join(10)
        self._listener.close()

    def _serve(self):
        # A connection each thread: a client that gave up on a dripping answer is not kept waiting for the next.
        while not self._stopped.is_set():
            try:
                connection, _peer = self._listener.accept()
            except socket.timeout:
                continue
            self._accepted.append(connection)
            worker = threading.Thread(target=self._serve_connection, args=(connection,), daemon=True)
            self._workers.append(worker)
            worker.start()

    def _next_answer(self):
        with self._lock:
            if not self.answers:
                return None
            self.requests += 1
            return self.answers.pop(0)

    def _serve_connection(self, connection):
        with connection:
            connection.settimeout(5)
            while not self._stopped.is_set():
                if not self._read_request(connection):
                    return
                answer = self._next_answer()
                if answer is None or not self._send(connection, answer):
                    return

    @staticmethod
    def _read_request(connection):
        """True once a whole request has arrived; False when the client closed or went quiet."""
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    return False
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(rest) < length:
                chunk = connection.recv(65536)
                if not chunk:
                    return False
                rest += chunk
        except OSError:
            return False
        return True

    def _send(self, connection, answer):
        sent = 0
        complete = False
        try:
            connection.sendall(answer.head)
            sent += len(answer.head)
            for piece in answer.pieces():
                if self._stopped.is_set():
                    break
                if answer.pause:
                    time.sleep(answer.pause)
                connection.sendall(piece)
                sent += len(piece)
            else:
                complete = True
        except OSError:
            pass  # the client closed or reset the connection
        with self._lock:
            self.sent.append(sent)
            self.complete.append(complete)
        return complete
