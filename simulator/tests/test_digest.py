"""HTTP Digest as AMT does it: the challenge, client quirks, stale nonces, lock-out, CVE-2017-5689."""
import hashlib
import re

import pytest
from conftest import PASSWORD, TRANSFER, FakeDevice, envelope

from amtsim.digest import DigestGuard, DigestPolicy, LockoutPolicy, parse_authorization
from amtsim.faults import FaultPlan
from amtsim.types import AMT_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
REALM = "Digest:727734D63A1FC0423736E48DA554E462"
CHALLENGE = re.compile(r'Digest realm="(Digest:[0-9A-F]{32})", nonce="([A-Za-z0-9+/]{32})",stale="(true|false)",qop="auth"')
HA1 = hashlib.md5(("admin:%s:%s" % (REALM, PASSWORD)).encode()).hexdigest()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _header(nonce, nc="00000001", qop='"auth"', uri="/wsman", response=None, password=PASSWORD, realm=REALM, nc_hashed=None):
    ha1 = hashlib.md5(("admin:%s:%s" % (realm, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("POST:%s" % uri).encode()).hexdigest()
    if response is None:
        response = hashlib.md5(":".join((ha1, nonce, nc_hashed or nc.strip('"'), "c0ffee", "auth", ha2)).encode()).hexdigest()
    return ('Digest username="admin", realm="%s", nonce="%s", uri="%s", cnonce="c0ffee", nc=%s, qop=%s, response="%s"'
            % (realm, nonce, uri, nc, qop, response))


def _nonce(guard):
    return CHALLENGE.fullmatch(guard.challenge(REALM)).group(2)


def _verify(guard, header, **kwargs):
    return guard.verify(header, "POST", "/wsman", REALM, lambda user: HA1 if user == "admin" else None, **kwargs)


@pytest.fixture
def device():
    return FakeDevice()


@pytest.fixture
def address(device, start_fleet):
    return start_fleet([device]).address()


def test_unauthenticated_request_gets_amt_401(address, digest_client):
    answer = digest_client(address).raw("POST", "/wsman", envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 401
    assert [name for name, _value in answer.raw_headers] == ["WWW-Authenticate", "Content-Type", "Server", "Content-Length", "Connection"]
    match = CHALLENGE.fullmatch(answer.headers["WWW-Authenticate"])
    assert match and match.group(1) == REALM and match.group(3) == "false"
    assert answer.headers["Connection"] == "close" and answer.headers["Content-Type"] == "text/html"
    assert b"Log on failed. Incorrect user name or password, or user account temporarily locked." in answer.body


@pytest.mark.parametrize("quoted, nc_format", [(True, "%08x"), (False, "%08x"), (True, "%d"), (False, "%d")])
def test_quoted_and_bare_qop_and_nc_in_any_format(address, digest_client, quoted, nc_format):
    client = digest_client(address, quote_qop_nc=quoted, nc_format=nc_format)
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200


def test_wrong_password_is_refused(address, digest_client):
    answer = digest_client(address, password="wrong").post(envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 401 and b"Log on failed" in answer.body


def test_unknown_user_is_refused(address, digest_client):
    assert digest_client(address, username="nobody").post(envelope(TRANSFER + "Get", GENERAL)).status == 401


def test_uri_must_match_the_request(address, digest_client):
    assert digest_client(address, uri="/other").post(envelope(TRANSFER + "Get", GENERAL)).status == 401


def test_nc_is_hashed_as_received():
    guard = DigestGuard()
    nonce = _nonce(guard)
    assert _verify(guard, _header(nonce, nc="1")).ok
    assert not _verify(guard, _header(nonce, nc="00000001", nc_hashed="1")).ok


def test_realm_of_another_device_is_refused():
    guard = DigestGuard()
    nonce = _nonce(guard)
    assert not _verify(guard, _header(nonce, realm="Digest:00000000000000000000000000000000")).ok


def test_nonce_expiry_answers_stale_and_does_not_count_as_failure():
    clock = Clock()
    guard = DigestGuard(DigestPolicy(nonce_lifetime=10, lockout=LockoutPolicy(threshold=2)), clock=clock)
    nonce = _nonce(guard)
    assert _verify(guard, _header(nonce)).ok
    clock.now += 11
    for _round in range(3):
        outcome = _verify(guard, _header(nonce))
        assert not outcome.ok and outcome.stale
    assert not guard.locked
    assert 'stale="true"' in guard.challenge(REALM, stale=True)


def test_unknown_nonce_with_correct_digest_is_stale_but_wrong_digest_is_a_failure():
    guard = DigestGuard()
    forged = "A" * 32
    assert _verify(guard, _header(forged)).stale
    assert not _verify(guard, _header(forged, password="bad")).stale


def test_stale_fault_forces_a_retry_with_a_new_nonce(device, start_fleet, digest_client):
    address = start_fleet([device], faults=FaultPlan.from_spec("stale:1")).address()
    client = digest_client(address)
    answer = client.post(envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 401 and 'stale="true"' in answer.headers["WWW-Authenticate"]


def test_lockout_after_ten_failures_grows_and_resets_after_an_hour():
    clock = Clock()
    guard = DigestGuard(DigestPolicy(), clock=clock)
    for _round in range(9):
        assert not _verify(guard, _header(_nonce(guard), password="bad")).ok
    assert not guard.locked and _verify(guard, _header(_nonce(guard))).ok  # success clears the streak
    for _round in range(10):
        _verify(guard, _header(_nonce(guard), password="bad"))
    assert guard.locked
    assert not _verify(guard, _header(_nonce(guard))).ok  # even the right password while locked
    clock.now += 5.1
    assert not guard.locked
    lockouts = []
    for _round in range(5):
        for _round in range(10):
            _verify(guard, _header(_nonce(guard), password="bad"))
        start = clock.now
        while guard.locked:
            clock.now += 0.5
        lockouts.append(round(clock.now - start))
    assert lockouts == [10, 20, 40, 80, 80]
    clock.now += 3601
    for _round in range(10):
        _verify(guard, _header(_nonce(guard), password="bad"))
    start = clock.now
    while guard.locked:
        clock.now += 0.5
    assert round(clock.now - start) == 5


def test_lockout_over_the_wire_and_the_lockout_fault(device, start_fleet, digest_client):
    policy = DigestPolicy(lockout=LockoutPolicy(threshold=3, initial=0.3))
    fleet = start_fleet([device, FakeDevice(index=2)], digest_policy=policy, faults=FaultPlan.from_spec("lockout@2"))
    for _round in range(3):
        assert digest_client(fleet.address(0), password="bad").post(envelope(TRANSFER + "Get", GENERAL)).status == 401
    assert digest_client(fleet.address(0)).post(envelope(TRANSFER + "Get", GENERAL)).status == 401
    assert digest_client(fleet.address(1)).post(envelope(TRANSFER + "Get", GENERAL)).status == 401


def test_empty_response_is_refused_on_fixed_firmware(address, digest_client):
    client = digest_client(address, empty_response=True)
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 401


def test_empty_response_is_accepted_on_intel_sa_00075_firmware(start_fleet, digest_client):
    vulnerable = FakeDevice(firmware="11.6.12.3202", vulnerable=True)
    address = start_fleet([vulnerable]).address()
    client = digest_client(address, empty_response=True, password="not-the-password")
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200


def test_nmap_style_cve_check_against_index_htm(start_fleet, digest_client):
    vulnerable, fixed = FakeDevice(vulnerable=True), FakeDevice(index=2)
    fleet = start_fleet([vulnerable, fixed])
    results = []
    for position in (0, 1):
        client = digest_client(fleet.address(position), empty_response=True, uri="index.htm")
        first = client.raw("GET", "/index.htm")
        assert first.status == 401 and "Intel(R)" in first.headers["Server"]
        answer = client.request(b"", method="GET", path="/index.htm")
        results.append(answer.status)
    assert results == [200, 401]


def test_web_ui_page_needs_valid_credentials(address, digest_client):
    answer = digest_client(address).request(b"", method="GET", path="/index.htm")
    assert answer.status == 200 and b"Intel" in answer.body and answer.headers["Content-Type"] == "text/html"


def test_authorization_parser_accepts_both_quoting_styles():
    parsed = parse_authorization('Digest username="a\\"b", qop=auth,nc=00000001, uri="/wsman" ,response=""')
    assert parsed == {"username": 'a"b', "qop": "auth", "nc": "00000001", "uri": "/wsman", "response": ""}
    assert parse_authorization("Basic YWRtaW46eA==") is None


def test_secrets_never_appear_in_answers(address, digest_client):
    client = digest_client(address)
    answers = [client.post(envelope(TRANSFER + "Get", GENERAL)), digest_client(address, password="bad").post(b"<x/>")]
    for answer in answers:
        assert PASSWORD.encode() not in answer.body and HA1.encode() not in answer.body
        assert all(PASSWORD not in value for _name, value in answer.raw_headers)
