# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_provision against simulated factory-fresh devices, over each device's MEI socket and local (LMS) endpoint.

Plays run several hosts at once, each with its own arguments, to keep the number of ansible-playbook runs small.

Loopback range: 127.77.210.x, 127.77.211.x and 127.77.213.x (remote), 127.78.210.x, 127.78.211.x and 127.78.213.x (local),
127.78.212.250 unreachable.
"""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conftest import run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiClient

LEGACY_ADDRESSES = {"first_address": "127.77.210.1", "local_first_address": "127.78.210.1"}
TLS_ADDRESSES = {"first_address": "127.77.211.1", "local_first_address": "127.78.211.1"}
FAULTY_TLS_ADDRESSES = {"first_address": "127.77.213.1", "local_first_address": "127.78.213.1"}
UNUSED_LMS = "127.78.212.250"
TLS_FIRMWARE = "19.0.5.2010"
ADMIN_PASSWORD = "Adm1n!Provision"
OTHER_PASSWORD = "0ther!Provision"
MEBX_PASSWORD = "Mebx!Passw0rd"
OPTIONS = ("control_mode", "admin_password", "mebx_password", "provisioning_cert", "provisioning_cert_content",
           "provisioning_cert_password", "validate_certs", "cert_fingerprint", "timeout")
FROM_INVENTORY = {"mei_device": "amt_mei_socket", "lms_hostname": "amt_local_hostname", "ca_path": "amt_ca_path",
                  "expected_uuid": "amt_uuid"}


@pytest.fixture(scope="module")
def legacy_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("provision-legacy"), 14, "factory", LEGACY_ADDRESSES)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def tls_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("provision-tls"), 3, "factory", TLS_ADDRESSES, firmware=TLS_FIRMWARE)
    yield fleet
    fleet.stop()


def _task_args():
    args = dict((option, "{{ case.%s | default(omit) }}" % option) for option in OPTIONS)
    for option, variable in FROM_INVENTORY.items():
        args[option] = "{{ case.%s | default(%s) }}" % (option, variable)
    return args


def run_provision(fleet, directory, cases, check=False, diff=False):
    """Run amt_provision once on each host of cases (host -> arguments); return (results by host, output)."""
    run = run_play(directory, fleet.inventory_path, [("provision", "amt_provision", _task_args())], cases=cases, check=check, diff=diff)
    results = run.by_host("provision")
    assert set(results) == set(cases), run.output
    return results, run.output


def _mei(fleet, host):
    return MeiClient(fleet.hosts[host]["amt_mei_socket"])


def _mode(fleet, host):
    return {0: "none", 1: "ccm", 2: "acm"}[_mei(fleet, host).get_control_mode()]


def _acm_args(fleet, **extra):
    group = fleet.group_vars
    args = {"control_mode": "acm", "admin_password": ADMIN_PASSWORD, "mebx_password": MEBX_PASSWORD,
            "provisioning_cert": group["amt_provisioning_cert"], "provisioning_cert_password": group["amt_provisioning_cert_password"]}
    args.update(extra)
    return dict((name, value) for name, value in args.items() if value is not None)


def _ccm_args(**extra):
    args = {"control_mode": "ccm", "admin_password": ADMIN_PASSWORD}
    args.update(extra)
    return args


def _untrusted_p12(suffix):
    """A well-formed provisioning PKCS#12 whose root no device trusts."""
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def build(name, key, issuer_name, signer, ca):
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.16.840.1.113741.1.2.3")]), critical=False)
        return builder.sign(signer, hashes.SHA256())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "untrusted root")])
    root = build("untrusted root", root_key, root_name, root_key, True)
    leaf = build("provisioning." + suffix, leaf_key, root_name, root_key, False)
    return base64.b64encode(pkcs12.serialize_key_and_certificates(b"x", leaf_key, leaf, [root], serialization.NoEncryption())).decode()


def _failed_before_sending(fleet, results, host, kind, *phrases):
    result = results[host]
    assert result["failed"] and result["error"] == kind, result
    for phrase in phrases:
        assert phrase in result["msg"], result["msg"]
    assert _mode(fleet, host) == "none"
    assert _mei(fleet, host).get_provisioning_state() == 0


# --- activation ---------------------------------------------------------------------------------------------------
def test_ccm_check_mode_then_activation_then_unchanged(legacy_fleet, tmp_path):
    host = "amt-0001"
    cases = {host: _ccm_args()}
    checked, output = run_provision(legacy_fleet, tmp_path, cases, check=True, diff=True)
    assert checked[host]["changed"] and checked[host]["control_mode"] == "ccm"
    assert checked[host]["diff"]["after"]["admin_password"] == "********"
    assert _mode(legacy_fleet, host) == "none"
    first, output = run_provision(legacy_fleet, tmp_path, cases, diff=True)
    assert first[host]["changed"] and first[host]["control_mode"] == "ccm"
    assert first[host]["uuid"] == legacy_fleet.hosts[host]["amt_uuid"]
    assert first[host]["digest_realm"] == legacy_fleet.hosts[host]["amt_digest_realm"]
    assert first[host]["firmware_version"] == legacy_fleet.hosts[host]["amt_firmware"]
    assert first[host]["mebx_password"] == "not_applicable"
    assert ADMIN_PASSWORD not in output
    assert _mode(legacy_fleet, host) == "ccm"
    second, _output = run_provision(legacy_fleet, tmp_path, cases)
    assert not second[host]["changed"] and second[host]["control_mode"] == "ccm"


@pytest.fixture(scope="module")
def activated(legacy_fleet, tmp_path_factory):
    """First run: ACM from a file, CCM to upgrade later, an interrupted attempt, ACM from content. Second run: the same again."""
    directory = tmp_path_factory.mktemp("provision-activated")
    interrupted = _mei(legacy_fleet, "amt-0004")
    interrupted.start_configuration_hbased("ab" * 32, "sha256")
    assert interrupted.get_provisioning_state() == 1
    with open(legacy_fleet.group_vars["amt_provisioning_cert"], "rb") as handle:
        content = base64.b64encode(handle.read()).decode()
    first, output = run_provision(legacy_fleet, directory, {
        "amt-0002": _acm_args(legacy_fleet), "amt-0003": _ccm_args(), "amt-0004": _ccm_args(),
        "amt-0005": _acm_args(legacy_fleet, provisioning_cert=None, provisioning_cert_content=content, mebx_password=None),
    }, diff=True)
    modes = dict((host, _mode(legacy_fleet, host)) for host in ("amt-0002", "amt-0003", "amt-0004", "amt-0005"))
    second, _output = run_provision(legacy_fleet, directory, {"amt-0002": _acm_args(legacy_fleet), "amt-0003": _acm_args(legacy_fleet)})
    return {"first": first, "second": second, "output": output, "modes": modes}


def test_acm_activation(activated):
    result = activated["first"]["amt-0002"]
    assert result["changed"] and result["control_mode"] == "acm" and result["mebx_password"] == "set"
    assert result["diff"]["after"]["mebx_password"] == "********"
    assert activated["modes"]["amt-0002"] == "acm"


def test_acm_second_run_is_unchanged(activated):
    result = activated["second"]["amt-0002"]
    assert not result["changed"] and result["mebx_password"] == "unchanged"


def test_acm_secrets_never_reach_the_output(legacy_fleet, activated):
    assert MEBX_PASSWORD not in activated["output"]
    assert legacy_fleet.group_vars["amt_provisioning_cert_password"] not in activated["output"]


def test_ccm_device_is_upgraded_to_acm(legacy_fleet, activated):
    assert activated["modes"]["amt-0003"] == "ccm"
    result = activated["second"]["amt-0003"]
    assert result["changed"] and result["control_mode"] == "acm"
    assert _mode(legacy_fleet, "amt-0003") == "acm"


def test_interrupted_attempt_is_stopped_and_activated_again(activated):
    assert activated["first"]["amt-0004"]["changed"] and activated["modes"]["amt-0004"] == "ccm"


def test_certificate_as_content(activated):
    result = activated["first"]["amt-0005"]
    assert result["changed"] and result["mebx_password"] == "not_set" and activated["modes"]["amt-0005"] == "acm"


# --- refusals ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def refused(legacy_fleet, tmp_path_factory):
    """Runs every bad input and every refusal once, each on its own factory-fresh device."""
    directory = tmp_path_factory.mktemp("provision-refusals")
    cases = {
        "amt-0006": _ccm_args(admin_password="password1"),
        "amt-0007": _acm_args(legacy_fleet, mebx_password="short"),
        "amt-0008": _ccm_args(control_mode="acm"),
        "amt-0009": _acm_args(legacy_fleet, provisioning_cert_password="not-the-password"),
        "amt-0010": _acm_args(legacy_fleet, provisioning_cert=None, provisioning_cert_password=None,
                              provisioning_cert_content=_untrusted_p12("amtsim.example")),
        "amt-0011": _ccm_args(lms_hostname=UNUSED_LMS, timeout=2),
        "amt-0012": _ccm_args(expected_uuid="11111111-2222-3333-4444-555555555555"),
        "amt-0013": _ccm_args(mei_device=str(directory / "missing.sock")),
    }
    provisioned = {"amt-0014": _acm_args(legacy_fleet)}
    run_provision(legacy_fleet, directory, provisioned)
    cases["amt-0014"] = _ccm_args()
    results, output = run_provision(legacy_fleet, directory, cases)
    wrong_password, _output = run_provision(legacy_fleet, directory, {"amt-0014": _acm_args(legacy_fleet, admin_password=OTHER_PASSWORD)})
    results["amt-0014-password"] = wrong_password["amt-0014"]
    return results, output


def test_weak_admin_password(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0006", "invalid_input", "admin_password", "upper-case", "special")


def test_weak_mebx_password(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0007", "invalid_input", "mebx_password", "8 to 32")


def test_acm_without_certificate(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0008", "invalid_input", "provisioning_cert")


def test_wrong_certificate_password(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0009", "invalid_input", "provisioning_cert_password")


def test_untrusted_root(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0010", "invalid_input", "not trusted by the device")


def test_lms_not_reachable(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0011", "unreachable", "LMS", UNUSED_LMS)


def test_identity_mismatch(legacy_fleet, refused):
    _failed_before_sending(legacy_fleet, refused[0], "amt-0012", "identity_mismatch", "nothing was changed")


def test_missing_mei_device(refused):
    result = refused[0]["amt-0013"]
    assert result["failed"] and result["error"] == "mei" and "become" in result["msg"]


def test_already_provisioned_in_another_mode(legacy_fleet, refused):
    result = refused[0]["amt-0014"]
    assert result["failed"] and result["error"] == "not_permitted" and "already provisioned in acm" in result["msg"]
    assert _mode(legacy_fleet, "amt-0014") == "acm"


def test_existing_admin_password_is_never_replaced(legacy_fleet, refused):
    result = refused[0]["amt-0014-password"]
    assert result["failed"] and result["error"] == "authentication" and "amt_password" in result["msg"]


def test_secrets_never_reach_the_output(refused):
    assert "not-the-password" not in refused[1] and ADMIN_PASSWORD not in refused[1]


# --- AMT 19: TLS-only local interface -----------------------------------------------------------------------------
def test_tls_ccm_activation_verifies_the_device_certificate(tls_fleet, tmp_path):
    cases = {"amt-0001": _ccm_args(), "amt-0002": _ccm_args(ca_path=None, cert_fingerprint="00" * 32)}
    first, _output = run_provision(tls_fleet, tmp_path, cases)
    assert first["amt-0001"]["changed"] and first["amt-0001"]["local_tls_enforced"]
    assert _mode(tls_fleet, "amt-0001") == "ccm"
    assert first["amt-0002"]["failed"] and first["amt-0002"]["error"] == "tls"
    assert _mode(tls_fleet, "amt-0002") == "none"
    second, _output = run_provision(tls_fleet, tmp_path, {"amt-0001": _ccm_args()})
    assert not second["amt-0001"]["changed"]


def test_tls_acm_activation_through_host_based_configuration(tls_fleet, tmp_path):
    host = "amt-0003"
    first, _output = run_provision(tls_fleet, tmp_path, {host: _acm_args(tls_fleet, ca_path=None)})
    assert first[host]["changed"] and first[host]["mebx_password"] == "set", first[host]
    assert _mode(tls_fleet, host) == "acm"
    second, _output = run_provision(tls_fleet, tmp_path, {host: _acm_args(tls_fleet)})
    assert not second[host]["changed"]


@pytest.fixture(scope="module")
def acm_into_ccm_fleet(tmp_path_factory):
    """AMT 19 devices whose host-based ACM activation fails and leaves them in CCM (amtsim fault acm-lands-in-ccm)."""
    fleet = start_fleet(tmp_path_factory.mktemp("provision-acm-into-ccm"), 1, "factory", FAULTY_TLS_ADDRESSES,
                        firmware=TLS_FIRMWARE, faults="acm-lands-in-ccm")
    yield fleet
    fleet.stop()


def test_failed_tls_acm_attempt_left_in_ccm_is_upgraded_by_a_rerun(acm_into_ccm_fleet, tmp_path):
    host = "amt-0001"
    first, output = run_provision(acm_into_ccm_fleet, tmp_path, {host: _acm_args(acm_into_ccm_fleet)})
    assert first[host]["failed"], first[host]
    assert first[host]["error"] == "device_error" and "CommitChanges returned 1" in first[host]["msg"], first[host]
    assert "now provisioned in CCM; run the module again to upgrade it to ACM" in first[host]["msg"], first[host]
    assert (_mode(acm_into_ccm_fleet, host), _mei(acm_into_ccm_fleet, host).get_provisioning_state()) == ("ccm", 2)
    second, rerun_output = run_provision(acm_into_ccm_fleet, tmp_path, {host: _acm_args(acm_into_ccm_fleet)}, diff=True)
    assert second[host]["changed"] and second[host]["control_mode"] == "acm", second[host]
    assert second[host]["diff"]["before"] == {"control_mode": "ccm", "provisioning_state": "post"}
    assert _mode(acm_into_ccm_fleet, host) == "acm"
    third, _output = run_provision(acm_into_ccm_fleet, tmp_path, {host: _acm_args(acm_into_ccm_fleet)})
    assert not third[host]["changed"] and third[host]["control_mode"] == "acm"
    for secret in (ADMIN_PASSWORD, MEBX_PASSWORD):
        assert secret not in output and secret not in rerun_output
