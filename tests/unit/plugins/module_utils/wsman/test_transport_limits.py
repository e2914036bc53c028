# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WsmanTransport against a hostile server: oversized bodies are refused while they stream in, and a device that drips
its answer cannot hold a request past its timeout, because the timeout bounds the whole exchange, not each read."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, IndeterminateError, UnreachableError
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.hostile_server import Answer, HostileServer, response_head

LIMIT = 64 * 1024
HUGE = 300 * 1024 * 1024
# What the loopback socket buffers can hold beyond what the client read; far below HUGE.
BUFFER_SLACK = 16 * 1024 * 1024
ENVELOPE = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'


def ok():
    return Answer(response_head(length=len(ENVELOPE)), ENVELOPE)


@pytest.fixture
def serve():
    servers = []

    def start(*answers):
        servers.append(HostileServer(answers).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def transport(server, timeout=5, read_retries=0):
    built = WsmanTransport("127.0.0.1", server.port, "admin", "Secr3t!Pass", use_tls=False, timeout=timeout,
                           read_retries=read_retries, max_response_bytes=LIMIT)
    built.retry_backoff = 0.01
    return built


@pytest.mark.parametrize("head", [
    response_head(length=HUGE),
    # Without a length the body runs until the server closes: only counting while reading can stop it.
    response_head(extra=["Connection: close"]),
    response_head(status="401 Unauthorized", content_type="text/html", length=HUGE,
                  extra=['WWW-Authenticate: Digest realm="r", nonce="n", qop="auth"']),
], ids=["declared", "undeclared", "digest-challenge"])
def test_an_oversized_answer_is_refused_after_reading_at_most_the_limit(serve, head):
    server = serve(Answer(head, (b"x", HUGE)))
    with pytest.raises(DeviceError) as caught:
        transport(server).post(b"<read/>", idempotent=True)
    assert "larger than %d bytes" % LIMIT in str(caught.value)
    assert caught.value.to_result()["error"] == "device_error"
    server.stop()
    assert server.complete == [False]
    assert server.sent[0] < LIMIT + BUFFER_SLACK


def test_an_answer_at_the_limit_is_read_and_the_connection_kept(serve):
    body = b"<a>" + b"x" * (LIMIT - 7) + b"</a>"
    server = serve(Answer(response_head(length=len(body)), body), ok())
    client = transport(server)
    assert client.post(b"<read/>", idempotent=True) == body
    assert client.post(b"<read/>", idempotent=True) == ENVELOPE
    assert client.request_count == 2 and server.requests == 2


def test_after_an_oversized_answer_the_next_request_opens_a_new_connection_and_counts_stay_exact(serve):
    server = serve(Answer(response_head(length=HUGE), (b"x", HUGE)), ok())
    client = transport(server)
    with pytest.raises(DeviceError):
        client.post(b"<read/>", idempotent=True)
    assert client.post(b"<read/>", idempotent=True) == ENVELOPE
    assert client.request_count == 2 and server.requests == 2


# Each dripped byte arrives well within the per-read timeout, so only a deadline on the whole exchange ends these.
DRIPPED_BODY = Answer(response_head(length=50000), (b"x", 50000), piece=1, pause=0.02)
DRIPPED_HEADERS = Answer(b"", b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 50000, piece=1, pause=0.02)


@pytest.mark.parametrize("answer", [DRIPPED_BODY, DRIPPED_HEADERS], ids=["body", "headers"])
def test_a_dripped_read_ends_as_unreachable_at_the_deadline(serve, answer):
    server = serve(answer)
    client = transport(server, timeout=0.5)
    with pytest.raises(UnreachableError) as caught:
        client.post(b"<read/>", idempotent=True)
    assert "no complete answer within the 0.5 s timeout" in str(caught.value)
    assert client.request_count == 1
    server.stop()
    assert server.complete == [False]


def test_a_dripped_read_is_retried_like_any_timeout(serve):
    server = serve(Answer(DRIPPED_BODY.head, DRIPPED_BODY.body, piece=1, pause=0.02), ok())
    # Long enough for the retry's answer to arrive on a busy machine.
    client = transport(server, timeout=2, read_retries=1)
    assert client.post(b"<read/>", idempotent=True) == ENVELOPE
    assert client.request_count == 2 and server.requests == 2
    server.stop()
    assert sorted(server.complete) == [False, True]


def test_a_dripped_answer_to_a_write_is_indeterminate_and_not_retried(serve):
    server = serve(Answer(DRIPPED_BODY.head, DRIPPED_BODY.body, piece=1, pause=0.02), ok())
    client = transport(server, timeout=0.5, read_retries=2)
    with pytest.raises(IndeterminateError) as caught:
        client.post(b"<write/>", idempotent=False)
    assert "no complete answer within the 0.5 s timeout" in str(caught.value)
    assert caught.value.to_result()["indeterminate"] is True
    assert server.requests == 1 and client.request_count == 1
