# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every TLS finding of amt_info (AMT-TLS-01 to 04) on a device that passes it and one that fails it, on each firmware
generation that changes TLS: before 16.1 (clear-text WS-Man on 16992 possible), 16.1 (the remote interface is TLS-only)
and 19 (the local interface is TLS-only as well). Where a generation makes a finding impossible to fail, the test shows
the device refusing the change that would make it fail.

The matrix (P pass, F fail, - cannot fail: the firmware refuses the change):

  finding     15.0                        16.1                            19.0
  AMT-TLS-01  P acm / F TLS turned off    P acm and activated by          P acm and activated by
              and F activated by          amt_provision / -               amt_provision / -
              amt_provision
  AMT-TLS-02  P non-TLS refused /         P / -                           P / -
              F acm (AcceptNonSecure)
  AMT-TLS-03  P mutual TLS / F acm        P mutual TLS / F acm            P mutual TLS / F acm
  AMT-TLS-04  P local TLS on / F acm      P local TLS on / F acm          P acm / -

Loopback ranges: 246 (15.0), 247 (16.1), 248 (19.0): devices 1-3 ACM, device 4 reset to factory state and activated by amt_provision.
"""

from __future__ import annotations

import base64
import ssl

import pytest

from conftest import device, run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import NotPermittedError
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.tls_material import TlsMaterial

GENERATIONS = {"15.0": ("15.0.23.1706", 246), "16.1": ("16.1.27.2176", 247), "19.0": ("19.0.5.2010", 248)}
TLS_FINDINGS = ("AMT-TLS-01", "AMT-TLS-02", "AMT-TLS-03", "AMT-TLS-04")
REMOTE = "Intel(r) AMT 802.3 TLS Settings"
LOCAL = "Intel(r) AMT LMS TLS Settings"
ADMIN_PASSWORD = "Adm1n!Tls-matrix"
# What each finding says on each generation for the device left as the ACM profile made it (acm), the one hardened
# by the test (hardened), the one whose remote TLS the test turned off (tls_off, only possible before 16.1) and the
# one activated from factory state by amt_provision (activated). True: the finding fails.
EXPECTED = {
    "15.0": {
        "acm": {"AMT-TLS-01": False, "AMT-TLS-02": True, "AMT-TLS-03": True, "AMT-TLS-04": True},
        "hardened": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": False, "AMT-TLS-04": False},
        "tls_off": {"AMT-TLS-01": True, "AMT-TLS-02": False, "AMT-TLS-03": False, "AMT-TLS-04": True},
        "activated": {"AMT-TLS-01": True, "AMT-TLS-02": False, "AMT-TLS-03": False, "AMT-TLS-04": True},
    },
    "16.1": {
        "acm": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": True, "AMT-TLS-04": True},
        "hardened": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": False, "AMT-TLS-04": False},
        "activated": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": True, "AMT-TLS-04": True},
    },
    "19.0": {
        "acm": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": True, "AMT-TLS-04": False},
        "hardened": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": False, "AMT-TLS-04": False},
        "activated": {"AMT-TLS-01": False, "AMT-TLS-02": False, "AMT-TLS-03": True, "AMT-TLS-04": False},
    },
}


@pytest.fixture(scope="module")
def client_tls(tmp_path_factory):
    """A CA the hardened devices trust for mutual TLS, and a client certificate it issued."""
    return TlsMaterial(tmp_path_factory.mktemp("tls-findings-client"))


def _put_tls(client, instance_id, **properties):
    current = dict((item["InstanceID"], item) for item in client.enumerate("AMT_TLSSettingData"))[instance_id]
    instance = [(name, current[name]) for name in ("ElementName", "InstanceID") if name in current]
    instance += sorted(properties.items())
    client.put("AMT_TLSSettingData", instance, selectors={"InstanceID": instance_id})


def _commit(client):
    client.invoke("AMT_SetupAndConfigurationService", "CommitChanges")


def _harden(amt, generation, client_tls):
    """Remote: no clear text, mutual TLS with client_tls's CA; local: TLS on (19.0 has it already)."""
    client = amt.client()
    try:
        root = ssl.PEM_cert_to_DER_cert(client_tls.ca.read_text())
        client.invoke("AMT_PublicKeyManagementService", "AddTrustedRootCertificate",
                      {"CertificateBlob": base64.b64encode(root).decode()})
        remote = {"Enabled": True, "MutualAuthentication": True}
        if generation == "15.0":
            remote["AcceptNonSecureConnections"] = False
        _put_tls(client, REMOTE, **remote)
        if generation != "19.0":
            _put_tls(client, LOCAL, Enabled=True)
        _commit(client)
    finally:
        client.close()


def _refuses(amt, instance_id, **properties):
    client = amt.client()
    try:
        with pytest.raises(NotPermittedError):
            _put_tls(client, instance_id, **properties)
    finally:
        client.close()


@pytest.fixture(scope="module", params=sorted(GENERATIONS))
def matrix(request, tmp_path_factory, client_tls):
    """(generation, devices by role, the amt_info result of each role) for one firmware generation."""
    generation = request.param
    firmware, network = GENERATIONS[generation]
    directory = tmp_path_factory.mktemp("tls-findings-%s" % generation)
    addresses = {"first_address": "127.77.%d.1" % network, "local_first_address": "127.78.%d.1" % network}
    fleet = start_fleet(directory, 4, "acm", addresses, firmware=firmware)
    try:
        roles = {"acm": device(fleet, 0), "hardened": device(fleet, 1), "activated": device(fleet, 3)}
        if generation == "15.0":
            roles["tls_off"] = device(fleet, 2)
        results = _gather(generation, fleet, roles, directory, client_tls)
        yield generation, roles, results
    finally:
        fleet.stop()


def _gather(generation, fleet, roles, directory, client_tls):
    _harden(roles["hardened"], generation, client_tls)
    if "tls_off" in roles:
        client = roles["tls_off"].client()
        try:
            _put_tls(client, REMOTE, Enabled=False)
            _commit(client)
        finally:
            client.close()
    # The device to activate goes back to factory state first: the ACM profile configured its TLS.
    activated = roles["activated"]
    client = activated.client()
    try:
        client.invoke("AMT_SetupAndConfigurationService", "Unprovision", {"ProvisioningMode": 1})
    finally:
        client.close()
    provision = {"control_mode": "ccm", "admin_password": ADMIN_PASSWORD, "mei_device": activated.vars["amt_mei_socket"],
                 "lms_hostname": activated.vars["amt_local_hostname"], "ca_path": activated.ca_path,
                 "timeout": 30}
    runs = run_play(directory, fleet.inventory_path, [("activate", "amt_provision", provision)], hosts=activated.name)
    assert runs["activate"]["changed"] is True, runs["activate"]
    # Before 16.1 an activated device has no TLS: it answers on 16992 only.
    plain = {"use_tls": False, "ca_path": None} if generation == "15.0" else {}
    cases = {
        roles["acm"].name: roles["acm"].connection(),
        roles["hardened"].name: roles["hardened"].connection(client_cert=str(client_tls.client_cert), client_key=str(client_tls.client_key)),
        activated.name: activated.connection(password=ADMIN_PASSWORD, **plain),
    }
    if "tls_off" in roles:
        cases[roles["tls_off"].name] = roles["tls_off"].connection(use_tls=False, ca_path=None)
    cases = dict((host, dict((option, value) for option, value in args.items() if value is not None)) for host, args in cases.items())
    options = sorted(set(option for args in cases.values() for option in args))
    read = dict((option, "{{ case.%s | default(omit) }}" % option) for option in options)
    read["gather_subset"] = ["tls"]
    by_host = run_play(directory, fleet.inventory_path, [("read", "amt_info", read)], cases=cases).by_host("read")
    return dict((role, by_host[amt.name]) for role, amt in roles.items())


@pytest.mark.parametrize("role", ["acm", "hardened", "tls_off", "activated"])
def test_each_tls_finding_passes_or_fails_as_the_device_is_configured(matrix, role):
    generation, _roles, results = matrix
    if role not in EXPECTED[generation]:
        pytest.skip("firmware %s cannot be put in this state (see the refusal tests)" % generation)
    result = results[role]
    assert not result.get("failed"), result
    amt = result["amt"]
    assert not [entry for entry in amt["findings_skipped"] if entry["id"] in TLS_FINDINGS], amt["findings_skipped"]
    failing = {finding["id"] for finding in amt["findings"]}
    assert dict((finding, finding in failing) for finding in TLS_FINDINGS) == EXPECTED[generation][role], amt["tls"]


def test_a_device_activated_on_16_1_or_later_reports_tls_on_with_a_certificate(matrix):
    generation, _roles, results = matrix
    remote = results["activated"]["amt"]["tls"]["remote"]
    # The issue this guards: the device served only TLS on 16993 while its settings said TLS was off.
    if generation == "15.0":
        assert remote["enabled"] is False
    else:
        assert remote["enabled"] is True and results["activated"]["amt"]["tls"]["server_certificate_configured"] is True
        assert remote["accept_non_secure_connections"] is False and remote["non_secure_connections_supported"] is False


def test_firmware_refuses_what_would_fail_a_finding_it_makes_impossible(matrix):
    generation, roles, _results = matrix
    if generation == "15.0":
        pytest.skip("before 16.1 every TLS finding can fail")
    _refuses(roles["acm"], REMOTE, Enabled=False)  # AMT-TLS-01
    _refuses(roles["acm"], REMOTE, Enabled=True, AcceptNonSecureConnections=True)  # AMT-TLS-02
    if generation == "19.0":
        _refuses(roles["acm"], LOCAL, Enabled=False)  # AMT-TLS-04
