# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_tls against simulated devices: a device-generated key signed by a CA of the test, TLS on, CommitChanges,
the reconnect over the new certificate, a second run that changes nothing, renewal, the firmware generations where
TLS differs, and a commit whose answer is lost."""

from __future__ import annotations

import datetime
import hashlib
import socket

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import assert_refused_before_sending, device, run_cases, run_play, start_fleet

UNREACHABLE = "127.77.247.250"


def _make_ca(name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())


@pytest.fixture(scope="module")
def site_ca(tmp_path_factory):
    certificate, key = _make_ca("oob.amt test site CA")
    path = tmp_path_factory.mktemp("ca") / "site-ca.pem"
    path.write_text(certificate, encoding="utf-8")
    return {"certificate": certificate, "key": key, "path": str(path)}


def _served_fingerprint(host, port=16993):
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as raw, context.wrap_socket(raw) as tls:
        digest = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest().upper()
    return ":".join(digest[index:index + 2] for index in range(0, len(digest), 2))


def _port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False


def _tls_args(target, site_ca, **extra):
    args = {"server_certificate": {"common_name": "amt-test.example.com", "subject_alt_names": [target.vars["amt_hostname"]]},
            "issuer_certificate": site_ca["certificate"], "issuer_private_key": site_ca["key"]}
    args.update(extra)
    return args


def _fleet(tmp_path, network, profile, firmware, devices=1):
    addresses = {"first_address": "127.77.%d.101" % network, "local_first_address": "127.78.%d.101" % network}
    return start_fleet(tmp_path, devices, profile, addresses, firmware=firmware)


@pytest.mark.parametrize("firmware, network, profile", [("16.1", 246, "ccm"), ("19.0", 247, "acm"), ("12.0", 246, "acm")])
def test_server_certificate_commit_reconnect_and_second_run(tmp_path, site_ca, firmware, network, profile):
    fleet = _fleet(tmp_path, network, profile, firmware)
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        before = _served_fingerprint(host)
        check = run_play(tmp_path, fleet.inventory_path, [
            ("check", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca)), {"check_mode": True, "diff": True})],
            hosts="all")["check"]
        assert check["changed"] is True and check["writes"] == [], check
        assert check["actions"][-1].startswith("commit the TLS changes"), check
        assert check["diff"]["after"]["server_certificate"]["common_name"] == "amt-test.example.com"
        assert "PRIVATE" not in str(check)
        assert _served_fingerprint(host) == before  # check mode sent nothing
        first = run_play(tmp_path, fleet.inventory_path, [
            ("first", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca)))], hosts="all")["first"]
        assert first.get("failed") is not True, first
        assert first["changed"] is True
        statuses = dict((write["action"].split(" (")[0], (write["status"], write["verified"])) for write in first["writes"])
        assert statuses["install a new server certificate for amt-test.example.com"] == ("confirmed", True)
        assert statuses["commit the TLS changes"] == ("confirmed", True)
        assert any(action.startswith("remove the replaced server certificate") for action in first["actions"]), first["actions"]
        assert first["connection"]["port"] == 16993 and first["connection"]["use_tls"] is True
        assert _served_fingerprint(host) == first["certificate"]["fingerprint"] == first["connection"]["cert_fingerprint"]
        assert first["tls"]["remote_tls"] is True and first["tls"]["accept_non_secure_connections"] is False
        assert first["tls"]["local_tls"] is True
        assert first["tls"]["server_certificate"] == {"common_name": "amt-test.example.com", "subject_alt_names": [host]}
        assert not _port_open(host, 16992)  # no clear-text WS-Man left on the network interface
        # The device is now verified with the site CA: the old one no longer works, the new one does.
        second = run_play(tmp_path, fleet.inventory_path, [
            ("second", "amt_tls", dict(target.connection(ca_path=site_ca["path"]), **_tls_args(target, site_ca))),
            ("old CA", "amt_info", dict(target.connection(), gather_subset=["tls"])),
            ("info", "amt_info", dict(target.connection(ca_path=site_ca["path"]), gather_subset=["tls"])),
        ], hosts="all")
        assert second["second"].get("failed") is not True and second["second"]["changed"] is False, second["second"]
        assert second["second"]["writes"] == []
        assert second["old CA"]["failed"] is True and second["old CA"]["error"] == "tls"
        facts = second["info"]["amt"]["tls"]
        assert facts["server_certificate"] == first["tls"]["server_certificate"]
        assert facts["remote"]["enabled"] is True
        assert "AMT-TLS-01" not in {finding["id"] for finding in second["info"]["amt"]["findings"]}
    finally:
        fleet.stop()
