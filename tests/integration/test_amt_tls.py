# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_tls against simulated devices: a device-generated key signed by a CA of the test, TLS on, CommitChanges,
the reconnect over the new certificate, a second run that changes nothing, renewal, the firmware generations where
TLS differs, and a commit whose answer is lost."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import assert_refused_before_sending, device, make_ca, run_cases, run_play, start_fleet

UNREACHABLE = "127.77.247.250"


@pytest.fixture(scope="module")
def site_ca(tmp_path_factory):
    certificate, key = make_ca("oob.amt test site CA")
    path = tmp_path_factory.mktemp("ca") / "site-ca.pem"
    path.write_text(certificate, encoding="utf-8")
    return {"certificate": certificate, "key": key, "path": str(path)}


def _served_fingerprint(host, port=16993):
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


def _fleet(tmp_path, network, profile, firmware, first=101, **options):
    """A one-device fleet at 127.77.<network>.<first>; options go to start_fleet (latency, latency_set)."""
    addresses = {"first_address": "127.77.%d.%d" % (network, first), "local_first_address": "127.78.%d.%d" % (network, first)}
    return start_fleet(tmp_path, 1, profile, addresses, firmware=firmware, **options)


@pytest.mark.parametrize("firmware, network, profile", [("16.1", 246, "ccm"), ("19.0", 247, "acm"), ("12.0", 246, "acm"), ("11.8", 247, "ccm")])
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


def _certificate_count(target):
    client = target.client()
    try:
        return len(client.enumerate("AMT_PublicKeyCertificate")), len(client.enumerate("AMT_PublicPrivateKeyPair"))
    finally:
        client.close()


@pytest.mark.parametrize("latency", [False, True], ids=["instant", "latency"])
def test_a_lost_commit_answer_is_read_back_never_sent_again(tmp_path, site_ca, latency):
    # Every CommitChanges that switches TLS loses its answer (the firmware restarts its ports while it is in flight).
    fleet = _fleet(tmp_path, 247, "acm", "16.1", first=121, latency=latency, latency_set={"tls_commit_cut_chance": 1})
    try:
        target = device(fleet, 0)
        first = run_play(tmp_path, fleet.inventory_path, [
            ("first", "amt_tls", dict(target.connection(timeout=60), **_tls_args(target, site_ca)))], hosts="all")["first"]
        assert first.get("failed") is not True, first
        commits = [write for write in first["writes"] if write["action"].startswith("commit")]
        assert commits == [{"action": commits[0]["action"], "status": "confirmed", "verified": True}], first["writes"]
        assert _served_fingerprint(target.vars["amt_hostname"]) == first["certificate"]["fingerprint"]
        again = run_play(tmp_path, fleet.inventory_path, [
            ("again", "amt_tls", dict(target.connection(ca_path=site_ca["path"], timeout=60), **_tls_args(target, site_ca)))],
            hosts="all")["again"]
        assert again.get("failed") is not True and again["changed"] is False and again["writes"] == [], again
    finally:
        fleet.stop()


def test_renewal_before_expiry_and_when_the_names_differ(tmp_path, site_ca):
    fleet = _fleet(tmp_path, 246, "acm", "16.1")
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        short = _tls_args(target, site_ca)
        short["server_certificate"] = dict(short["server_certificate"], validity_days=20, renew_before_days=10)
        longer = _tls_args(target, site_ca)
        longer["server_certificate"] = dict(longer["server_certificate"], validity_days=365, renew_before_days=30)
        renamed = _tls_args(target, site_ca)
        renamed["server_certificate"] = dict(renamed["server_certificate"], subject_alt_names=[host, "amt-test.example.com"])
        run = run_play(tmp_path, fleet.inventory_path, [
            ("short", "amt_tls", dict(target.connection(), **short)),
            ("still valid", "amt_tls", dict(target.connection(ca_path=site_ca["path"]), **short)),
            ("expires within the threshold", "amt_tls", dict(target.connection(ca_path=site_ca["path"]), **longer)),
            ("names differ", "amt_tls", dict(target.connection(ca_path=site_ca["path"]), **renamed)),
        ], hosts="all")
        assert run["short"]["changed"] is True, run["short"]
        assert run["still valid"]["changed"] is False, run["still valid"]
        renewed = run["expires within the threshold"]
        assert renewed["changed"] is True and "expires on" in renewed["actions"][0], renewed
        assert renewed["certificate"]["fingerprint"] != run["short"]["certificate"]["fingerprint"]
        names = run["names differ"]
        assert names["changed"] is True and "subject alternative names" in names["actions"][0], names
        assert names["tls"]["server_certificate"]["subject_alt_names"] == sorted([host, "amt-test.example.com"])
        # Each renewal removed the certificate and key pair it replaced: one server certificate and key remain.
        target.ca_path = site_ca["path"]
        assert _certificate_count(target) == (1, 1)
        assert _served_fingerprint(host) == names["certificate"]["fingerprint"]
    finally:
        fleet.stop()


def _put_remote(target, commit, **properties):
    client = target.client()
    try:
        remote = next(item for item in client.enumerate("AMT_TLSSettingData") if item["InstanceID"] == "Intel(r) AMT 802.3 TLS Settings")
        remote.pop("NonSecureConnectionsSupported", None)
        remote.update(properties)
        client.put("AMT_TLSSettingData", remote, selectors={"InstanceID": remote["InstanceID"]})
        if commit:
            client.invoke("AMT_SetupAndConfigurationService", "CommitChanges")
    finally:
        client.close()
    if commit:
        # The device restarts its network stack after the commit: wait until it listens again.
        deadline = time.monotonic() + 30
        while not (_port_open(target.vars["amt_hostname"], 16992) or _port_open(target.vars["amt_hostname"], 16993)):
            assert time.monotonic() < deadline, "the device did not come back after CommitChanges"
            time.sleep(0.05)


def test_tls_turned_on_from_clear_text_and_an_uncommitted_change_finished_by_a_re_run(tmp_path, site_ca):
    # Firmware before 16.1 can run without TLS: the task reaches it on 16992 and leaves it on 16993 only.
    fleet = _fleet(tmp_path, 246, "ccm", "12.0")
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        _put_remote(target, True, Enabled=False)
        assert not _port_open(host, 16993) and _port_open(host, 16992)
        plain = dict(target.connection(use_tls=False), **_tls_args(target, site_ca))
        plain.pop("ca_path")
        first = run_play(tmp_path, fleet.inventory_path, [("first", "amt_tls", plain)], hosts="all")["first"]
        assert first.get("failed") is not True and first["changed"] is True, first
        assert first["tls"]["remote_tls"] is True and first["tls"]["accept_non_secure_connections"] is False
        assert _port_open(host, 16993) and not _port_open(host, 16992)
        # A run cut off after its writes: the settings say no clear text, but the device was never told to apply them.
        target.ca_path = site_ca["path"]
        _put_remote(target, True, AcceptNonSecureConnections=True)
        _put_remote(target, False, AcceptNonSecureConnections=False)
        assert _port_open(host, 16992)
        tasks = [("check", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca)), {"check_mode": True}),
                 ("finish", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca))),
                 ("then nothing", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca)))]
        run = run_play(tmp_path, fleet.inventory_path, tasks, hosts="all")
        assert run["check"]["changed"] is True and [action[:6] for action in run["check"]["actions"]] == ["commit"], run["check"]
        assert [write["status"] for write in run["finish"]["writes"]] == ["confirmed"], run["finish"]
        assert not _port_open(host, 16992)
        assert run["then nothing"]["changed"] is False, run["then nothing"]
    finally:
        fleet.stop()


def test_a_certificate_signed_elsewhere(tmp_path, site_ca):
    fleet = _fleet(tmp_path, 247, "ccm", "16.1")
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        names = {"common_name": "amt-elsewhere.example.com", "subject_alt_names": [host]}
        asked = run_play(tmp_path, fleet.inventory_path, [
            ("ask", "amt_tls", dict(target.connection(), server_certificate=names)),
            ("ask again", "amt_tls", dict(target.connection(), server_certificate=names)),
        ], hosts="all")
        ask, again = asked["ask"], asked["ask again"]
        assert ask["failed"] is True and ask["error"] == "invalid_input" and "csr" in ask, ask
        assert [write["action"] for write in ask["writes"]] == ["generate a key pair on the device for the server certificate"]
        # The key pair left by the first run is used again: no second one.
        assert again["writes"] == [] and again["csr"] == ask["csr"], again
        request = x509.load_pem_x509_csr(ask["csr"].encode())
        issuer = x509.load_pem_x509_certificate(site_ca["certificate"].encode())
        issuer_key = serialization.load_pem_private_key(site_ca["key"].encode(), password=None)
        now = datetime.datetime.now(datetime.timezone.utc)
        signed = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names["common_name"])]))
                  .issuer_name(issuer.subject).public_key(request.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
                  .sign(issuer_key, hashes.SHA256()))
        pem = signed.public_bytes(serialization.Encoding.PEM).decode()
        given = run_play(tmp_path, fleet.inventory_path, [
            ("give", "amt_tls", dict(target.connection(), server_certificate=names, certificate=pem))], hosts="all")["give"]
        assert given.get("failed") is not True and given["changed"] is True, given
        digest = hashlib.sha256(signed.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
        assert given["connection"]["cert_fingerprint"].replace(":", "") == digest
        assert _served_fingerprint(host) == given["connection"]["cert_fingerprint"]
    finally:
        fleet.stop()


def test_firmware_refusals_before_any_write(tmp_path, site_ca):
    fleet = start_fleet(tmp_path, 2, "acm", {"first_address": "127.77.247.141", "local_first_address": "127.78.247.141"},
                        firmware="16.1:1,19.0:1")
    try:
        on_16, on_19 = device(fleet, 0), device(fleet, 1)
        run = run_play(tmp_path, fleet.inventory_path, [
            ("clear text on 16.1", "amt_tls", dict(on_16.connection(), accept_non_secure_connections=True, **_tls_args(on_16, site_ca))),
            ("local clear text on 19", "amt_tls", dict(on_19.connection(), local_tls=False, **_tls_args(on_19, site_ca))),
        ], hosts=",".join(sorted(fleet.hosts)))
        refused = run.by_host("clear text on 16.1")[on_16.name]
        assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["writes"] == [], refused
        assert "accept_non_secure_connections" in refused["msg"]
        refused = run.by_host("local clear text on 19")[on_19.name]
        assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["writes"] == [], refused
        assert "local_tls" in refused["msg"]
    finally:
        fleet.stop()


def test_every_validation_rule_is_refused_before_sending(tmp_path, site_ca):
    names = {"common_name": "amt.example.com", "subject_alt_names": [UNREACHABLE]}
    other_ca, other_key = make_ca("another CA")
    issuer = {"issuer_certificate": site_ca["certificate"], "issuer_private_key": site_ca["key"]}
    cases = {
        "empty_cn": (dict(issuer, server_certificate={"common_name": " "}), "server_certificate.common_name", "must be 1 to 64"),
        "san_spaces": (dict(issuer, server_certificate=dict(names, subject_alt_names=["a b"])), "server_certificate.subject_alt_names",
                       "each entry must be"),
        "validity": (dict(issuer, server_certificate=dict(names, validity_days=0)), "server_certificate.validity_days", "must be between"),
        "renew": (dict(issuer, server_certificate=dict(names, validity_days=20, renew_before_days=20)),
                  "server_certificate.renew_before_days", "must be 0 or more"),
        "wrong_key": ({"server_certificate": names, "issuer_certificate": site_ca["certificate"], "issuer_private_key": other_key},
                      "issuer_private_key", "must be the key of issuer_certificate"),
        "not_pem": (dict(issuer, server_certificate=names, trusted_root_certificates=["nonsense"]), "trusted_root_certificates[0]",
                    "must be one or more PEM"),
        "mutual_no_root": (dict(issuer, server_certificate=names, mutual_authentication=True), "mutual_authentication",
                           "needs trusted_root_certificates"),
        "mutual_no_client_cert": (dict(issuer, server_certificate=names, mutual_authentication=True, trusted_root_certificates=[other_ca]),
                                  "mutual_authentication", "needs client_cert and client_key"),
        "cn_without_mutual": (dict(issuer, server_certificate=names, trusted_cn=["console"]), "trusted_cn", "applies only with"),
        "host_not_in_names": (dict(issuer, server_certificate={"common_name": "amt.example.com"}), "server_certificate.subject_alt_names",
                              "must include " + UNREACHABLE),
        "restart_timeout": (dict(issuer, server_certificate=names, restart_timeout=0), "restart_timeout", "must be 1 or more"),
        "key_not_of_certificate": ({"server_certificate": names, "certificate": site_ca["certificate"], "private_key": other_key},
                                   "private_key", "must be the key of certificate"),
        "certificate_names": ({"server_certificate": names, "certificate": site_ca["certificate"]}, "certificate",
                              "must carry server_certificate's common_name"),
    }
    common = {"hostname": UNREACHABLE, "password": "P@ssw0rd-unused", "use_tls": False}
    results, output = run_cases(tmp_path, {"amt_tls": {}}, dict((case, args) for case, (args, _option, _rule) in cases.items()),
                                common_args=common)
    for case, (_args, option, rule) in cases.items():
        assert_refused_before_sending(results["amt_tls"][case], option, rule, "module")
    assert site_ca["key"].splitlines()[1] not in output and other_key.splitlines()[1] not in output


def _client_identity(directory, ca_certificate, ca_key, common_name):
    """Files of a client certificate for common_name issued by the given CA, and its key."""
    issuer = x509.load_pem_x509_certificate(ca_certificate.encode())
    issuer_key = serialization.load_pem_private_key(ca_key.encode(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                   .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .sign(issuer_key, hashes.SHA256()))
    certificate_path, key_path = directory / "client.pem", directory / "client.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(certificate_path), str(key_path)


def test_mutual_authentication_with_a_trusted_root_and_allowed_names(tmp_path, site_ca):
    fleet = _fleet(tmp_path, 247, "acm", "16.1")
    try:
        target = device(fleet, 0)
        console_ca, console_ca_key = make_ca("oob.amt test console CA")
        client_cert, client_key = _client_identity(tmp_path, console_ca, console_ca_key, "console.example.com")
        args = _tls_args(target, site_ca, mutual_authentication=True, trusted_root_certificates=[console_ca],
                         trusted_cn=["console.example.com"])
        run = run_play(tmp_path, fleet.inventory_path, [
            ("mutual", "amt_tls", dict(target.connection(client_cert=client_cert, client_key=client_key), **args)),
            ("again", "amt_tls", dict(target.connection(ca_path=site_ca["path"], client_cert=client_cert, client_key=client_key), **args)),
            ("without a client certificate", "amt_info", dict(target.connection(ca_path=site_ca["path"]), gather_subset=["tls"])),
        ], hosts="all")
        mutual = run["mutual"]
        assert mutual.get("failed") is not True and mutual["changed"] is True, mutual
        assert mutual["actions"][0] == "add trusted root certificate CN=oob.amt test console CA"
        assert mutual["tls"]["mutual_authentication"] is True and mutual["tls"]["trusted_cn"] == ["console.example.com"]
        assert mutual["tls"]["trusted_root_certificates"] == [console_ca]
        assert run["again"].get("failed") is not True and run["again"]["changed"] is False, run["again"]
        refused = run["without a client certificate"]
        assert refused["failed"] is True and refused["error"] in ("tls", "unreachable"), refused
    finally:
        fleet.stop()


def test_a_certificate_and_key_made_elsewhere(tmp_path, site_ca):
    fleet = _fleet(tmp_path, 246, "ccm", "19.0")
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        issuer = x509.load_pem_x509_certificate(site_ca["certificate"].encode())
        issuer_key = serialization.load_pem_private_key(site_ca["key"].encode(), password=None)
        now = datetime.datetime.now(datetime.timezone.utc)
        signed = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amt-own-key.example.com")]))
                  .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
                  .sign(issuer_key, hashes.SHA256()))
        args = {"server_certificate": {"common_name": "amt-own-key.example.com", "subject_alt_names": [host]},
                "certificate": signed.public_bytes(serialization.Encoding.PEM).decode(),
                "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode()}
        run = run_play(tmp_path, fleet.inventory_path, [
            ("give", "amt_tls", dict(target.connection(), **args), {"diff": True}),
            ("again", "amt_tls", dict(target.connection(ca_path=site_ca["path"]), **args)),
        ], hosts="all")
        given = run["give"]
        assert given.get("failed") is not True and given["changed"] is True, given
        assert _served_fingerprint(host) == given["connection"]["cert_fingerprint"]
        assert run["again"].get("failed") is not True and run["again"]["changed"] is False, run["again"]
        assert args["private_key"].splitlines()[1] not in str(run.records)
        target.ca_path = site_ca["path"]
        assert _certificate_count(target) == (1, 1)
    finally:
        fleet.stop()


def _add_client_certificate(target, site_ca, common_name):
    """Test setup: a key and a client-authentication certificate for it (as 802.1X or CIRA use), signed by the site CA.
    Returns the certificate's InstanceID."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = x509.load_pem_x509_certificate(site_ca["certificate"].encode())
    issuer_key = serialization.load_pem_private_key(site_ca["key"].encode(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                   .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(issuer_key, hashes.SHA256()))
    pkcs1 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    client = target.client()
    try:
        client.invoke("AMT_PublicKeyManagementService", "AddKey", [("KeyBlob", base64.b64encode(pkcs1).decode())])
        outputs = client.invoke("AMT_PublicKeyManagementService", "AddCertificate", [
            ("CertificateBlob", base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode())])
        return str(outputs["CreatedCertificate"]["selectors"]["InstanceID"])
    finally:
        client.close()


def _certificates_and_keys(target):
    client = target.client()
    try:
        certificates = dict((str(item["InstanceID"]), item.get("TrustedRootCertficate")) for item in client.enumerate("AMT_PublicKeyCertificate"))
        return certificates, [str(item["InstanceID"]) for item in client.enumerate("AMT_PublicPrivateKeyPair")]
    finally:
        client.close()


def test_a_run_cut_off_after_the_commit_is_cleaned_up_by_the_next_run(tmp_path, site_ca):
    # A commit that switches TLS settings loses its answer and closes the ports for 4 s: a task that renews the certificate
    # and turns local TLS off, waiting only 1 s, stops after the commit, before removing the certificate it replaced.
    fleet = _fleet(tmp_path, 246, "acm", "16.1", first=121, latency_set={"tls_commit_cut_chance": 1, "restart_commit_tls": 4})
    try:
        target = device(fleet, 0)
        host = target.vars["amt_hostname"]
        first = run_play(tmp_path, fleet.inventory_path, [
            ("first", "amt_tls", dict(target.connection(), **_tls_args(target, site_ca)))], hosts="all")["first"]
        assert first.get("failed") is not True, first
        target.ca_path = site_ca["path"]
        replaced = first["certificate"]["instance_id"]
        _certificates, keys_first = _certificates_and_keys(target)
        # What a clean-up must leave alone: a trusted root, and a client certificate with the server certificate's name.
        other_root, _other_key = make_ca("another trusted root")
        client = target.client()
        try:
            client.invoke("AMT_PublicKeyManagementService", "AddTrustedRootCertificate", [
                ("CertificateBlob", base64.b64encode(x509.load_pem_x509_certificate(other_root.encode()).public_bytes(
                    serialization.Encoding.DER)).decode())])
        finally:
            client.close()
        client_certificate = _add_client_certificate(target, site_ca, "amt-test.example.com")
        before, keys_before = _certificates_and_keys(target)
        renamed = _tls_args(target, site_ca)
        renamed["server_certificate"] = dict(renamed["server_certificate"], subject_alt_names=[host, "amt-test.example.com"])
        renamed["local_tls"] = False
        cut = run_play(tmp_path, fleet.inventory_path, [
            ("cut", "amt_tls", dict(target.connection(timeout=10), restart_timeout=1, **renamed))], hosts="all")["cut"]
        assert cut["failed"] is True and cut["indeterminate"] is True, cut
        assert [write["status"] for write in cut["writes"]][-1] == "unconfirmed" and cut["actions"][-1].startswith("commit"), cut
        deadline = time.monotonic() + 30
        while not _port_open(host, 16993):
            assert time.monotonic() < deadline, "the device did not come back after CommitChanges"
            time.sleep(0.05)
        left, keys_left = _certificates_and_keys(target)
        assert replaced in left and len(left) == len(before) + 1 and len(keys_left) == len(keys_before) + 1
        client_key = set(keys_before) - set(keys_first)
        tasks = [("check", "amt_tls", dict(target.connection(), **renamed), {"check_mode": True}),
                 ("finish", "amt_tls", dict(target.connection(), **renamed)),
                 ("then nothing", "amt_tls", dict(target.connection(), **renamed))]
        run = run_play(tmp_path, fleet.inventory_path, tasks, hosts="all")
        check, finish, nothing = run["check"], run["finish"], run["then nothing"]
        assert check["changed"] is True and check["writes"] == [], check
        assert len(check["actions"]) == 2 and check["actions"][0] == "remove the leftover server certificate %s" % replaced, check
        assert check["actions"][1].startswith("remove the leftover key pair "), check
        assert finish["actions"] == check["actions"] and [write["status"] for write in finish["writes"]] == ["confirmed", "confirmed"], finish
        assert nothing.get("failed") is not True and nothing["changed"] is False and nothing["writes"] == [], nothing
        after, keys_after = _certificates_and_keys(target)
        assert set(after) == set(left) - {replaced}
        assert client_certificate in after and sum(1 for root in after.values() if str(root).lower() == "true") == \
            sum(1 for root in before.values() if str(root).lower() == "true")
        (removed_key,) = set(keys_left) - set(keys_after)
        assert removed_key in keys_first and client_key <= set(keys_after) and len(keys_after) == len(keys_left) - 1
        assert _served_fingerprint(host) == finish["certificate"]["fingerprint"]
    finally:
        fleet.stop()
