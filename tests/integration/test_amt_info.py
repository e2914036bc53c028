# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_info end to end: ansible-playbook against simulated devices over real loopback sockets.

Loopback range: 127.77.200.x and 127.77.201.x (remote), 127.78.200.x and 127.78.201.x (local), 127.77.202.250 unreachable.
"""

from __future__ import annotations

import json

import pytest

from conftest import assert_refused_before_sending, make_ca, run_cases, run_play, start_fleet

MODERN_FLEET = {"first_address": "127.77.200.1", "local_first_address": "127.78.200.1"}
LEGACY_FLEET = {"first_address": "127.77.201.1", "local_first_address": "127.78.201.1"}

# In 127.0.0.0/8 and outside the fleets' ranges: nothing listens there.
UNREACHABLE_ADDRESS = "127.77.202.250"

SUBSETS = ["firmware", "provisioning", "general", "network", "tls", "users", "wifi", "audit", "redirection", "power"]

OVER_TLS = {
    "hostname": "{{ amt_hostname }}",
    "port": "{{ amt_tls_port }}",
    "username": "{{ amt_username }}",
    "password": "{{ amt_password }}",
    "ca_path": "{{ amt_ca_path }}",
}
OVER_HTTP = {
    "hostname": "{{ amt_hostname }}",
    "port": "{{ amt_http_port }}",
    "username": "{{ amt_username }}",
    "password": "{{ amt_password }}",
    "use_tls": False,
}

# HTTP requests amt_info sends, the Digest challenge of the first request included. The client asks for
# OptimizeEnumeration, so an enumeration that fits one page is a single request:
# firmware = challenge + Enumerate of CIM_SoftwareIdentity.
FIRMWARE_REQUESTS = 2
# all, on the modern fleet's first device (two $$ system accounts, Wi-Fi and KVM present, no CIRA server or policy):
# challenge 1 + firmware 1 + provisioning 3 (the two services and the provisioning root hashes) + general 2 + network 6
# (ports, web UI, environment detection, and as amt_cira reads them the MPS servers, the policies and the user-initiated
# service) + tls 4 (settings, credential context, certificates and key pairs, as amt_tls reads them) + users 7 + wifi 3
# (the port settings, the Wi-Fi port and the profiles, as amt_wifi_profile reads them) + audit 2 + redirection 4 + power 1.
ALL_REQUESTS = 34


@pytest.fixture(scope="module")
def modern_fleet(tmp_path_factory):
    """Two ACM devices with the simulator's default (current) firmware and TLS on the network interface."""
    fleet = start_fleet(tmp_path_factory.mktemp("modern-fleet"), 2, "acm", MODERN_FLEET)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def legacy_fleet(tmp_path_factory):
    """One CCM device on firmware 11.0.0.1000: affected by INTEL-SA-00075, still serving plain HTTP on 16992."""
    fleet = start_fleet(tmp_path_factory.mktemp("legacy-fleet"), 1, "ccm", LEGACY_FLEET, firmware="11.0.0.1000")
    yield fleet
    fleet.stop()


def first_host(fleet):
    name = sorted(fleet.hosts)[0]
    return name, fleet.hosts[name]


WRONG_PASSWORD = "N0t-The-Passw0rd!"


@pytest.fixture(scope="module")
def first_host_reads(modern_fleet, tmp_path_factory):
    """Every read of the modern fleet's first device, in one playbook: the successful ones in order, then the failures."""
    name, _host = first_host(modern_fleet)
    work_dir = tmp_path_factory.mktemp("info-first-host")
    bad_ca = work_dir / "other-ca.pem"
    bad_ca.write_text(make_ca("not the simulator CA")[0])
    return run_play(work_dir, modern_fleet.inventory_path, [
        ("all subsets", "amt_info", OVER_TLS),
        ("firmware only", "amt_info", dict(OVER_TLS, gather_subset=["firmware"])),
        ("everything", "amt_info", dict(OVER_TLS, gather_subset=["all"])),
        ("again", "amt_info", OVER_TLS),
        ("wrong password", "amt_info", dict(OVER_TLS, password=WRONG_PASSWORD, gather_subset=["firmware"])),
        ("unreachable", "amt_info", dict(OVER_TLS, hostname=UNREACHABLE_ADDRESS, timeout=5, gather_subset=["firmware"])),
        ("other CA", "amt_info", dict(OVER_TLS, ca_path=str(bad_ca), gather_subset=["firmware"])),
    ], hosts=name)


def test_all_subsets_over_tls_with_ca_validation(modern_fleet, first_host_reads):
    _name, host = first_host(modern_fleet)
    assert host["amt_use_tls"] is True
    result = first_host_reads["all subsets"]
    assert not result.get("failed"), result
    assert result["changed"] is False
    amt = result["amt"]
    assert amt["gathered_subsets"] == SUBSETS
    assert set(SUBSETS) <= set(amt)
    assert amt["firmware"]["full_version"] == host["amt_firmware"]
    assert amt["provisioning"] == dict(amt["provisioning"], state="post", control_mode="acm")
    assert amt["general"]["uuid"] == host["amt_uuid"]
    assert amt["general"]["digest_realm"] == host["amt_digest_realm"]
    assert amt["tls"]["remote"]["enabled"] is True
    # The simulator trusts its own provisioning root and four factory entries, every one enabled; provisioned and without
    # allowed_provisioning_hashes, AMT-RPROV-01 passes.
    hashes = amt["provisioning"]["certificate_hashes"]
    assert len(hashes) == 5 and all(entry["enabled"] and entry["hash_type"] == "sha256" and len(entry["hash"]) == 64 for entry in hashes)
    assert "amtsim provisioning root CA" in [entry["name"] for entry in hashes]
    assert "AMT-RPROV-01" not in [entry["id"] for entry in amt["findings"] + amt["manual_checks"]]
    assert amt["findings_skipped"] == []
    assert {"AMT-MEBX-02", "AMT-NET-01", "AMT-FW-02"} <= {check["id"] for check in amt["manual_checks"]}
    for finding in amt["findings"]:
        assert set(finding) >= {"id", "severity", "title", "observed", "fix"}
    finding_ids = {finding["id"] for finding in amt["findings"]}
    assert ("AMT-REDIR-02" in finding_ids) == bool(amt["redirection"]["kvm"])
    assert ("AMT-WEB-01" in finding_ids) == bool(amt["network"]["web_ui_enabled"])
    assert ("AMT-TLS-04" in finding_ids) == (not amt["tls"]["local"]["enabled"])
    # Never a secret in the result or anywhere in the output of the run.
    assert host["amt_password"] not in first_host_reads.output
    assert host["amt_password"] not in json.dumps(result)


def test_request_counts_are_exact(first_host_reads):
    firmware_only = first_host_reads["firmware only"]
    assert firmware_only["amt"]["gathered_subsets"] == ["firmware"]
    assert firmware_only["amt_requests"] == FIRMWARE_REQUESTS

    everything = first_host_reads["everything"]
    assert everything["amt_requests"] == ALL_REQUESTS
    assert expected_requests_for_all(everything["amt"]) == ALL_REQUESTS
    # A second read is exactly as long: nothing depends on state left behind by the first.
    assert first_host_reads["again"]["amt_requests"] == everything["amt_requests"]


def expected_requests_for_all(amt):
    """The read plan of amt_info: one request per Get, method or (optimized, one-page) enumeration."""
    enumeration, get, method, absent = 1, 1, 1, 1
    users = amt["users"]
    counts = {
        "challenge": 1,
        "firmware": enumeration,
        "provisioning": 2 * get + enumeration,
        "general": get + method,
        "network": enumeration + 2 * get,
        "tls": 4 * enumeration,
        "users": 3 * method + get + method + len(users["accounts"] + users["system_accounts"]) * method,
        "wifi": get + 2 * enumeration if "local_profile_sync" in amt["wifi"] else absent,
        "audit": 2 * get,
        "redirection": 4 * get if amt["redirection"]["kvm_supported"] else absent + 2 * get,
        "power": enumeration,
    }
    if amt["network"]["web_ui_enabled"] is None:
        counts["network"] += absent - get
    if users["kerberos"] is None:
        counts["users"] += absent - get
    counts["network"] += cira_requests(amt["network"])
    return sum(counts.values())


def cira_requests(network):
    """The CIRA reads: servers, then policies, then their bindings, credentials and usernames only when there is something
    to bind or authenticate, and the user-initiated service."""
    enumeration, get, absent = 1, 1, 1
    if network["mps_servers"] is None:
        return absent
    servers = network["mps_servers"]
    return (enumeration + enumeration + (enumeration if network["cira_policies"] else 0) + (enumeration if servers else 0)
            + (enumeration if any(server.get("username") for server in servers) else 0)
            + (get if network["cira_user_initiated"] is not None else absent))


def test_plain_http_on_firmware_affected_by_sa_00075(legacy_fleet, tmp_path):
    name, host = first_host(legacy_fleet)
    run = run_play(tmp_path, legacy_fleet.inventory_path, [
        ("firmware and provisioning", "amt_info", dict(OVER_HTTP, gather_subset=["firmware", "provisioning"]))], hosts=name)
    result = run["firmware and provisioning"]
    assert not result.get("failed"), result
    amt = result["amt"]
    assert amt["firmware"]["full_version"] == "11.0.0.1000"
    first = amt["findings"][0]
    assert first["id"] == "AMT-FW-01"
    assert first["advisory"] == "INTEL-SA-00075"
    assert first["cves"] == ["CVE-2017-5689"]
    assert first["fixed_in"] == "11.0.25.3001"
    assert amt["firmware"]["advisories"][0] == dict(amt["firmware"]["advisories"][0], advisory="INTEL-SA-00075", status="affected")
    assert "AMT-PROV-02" in [finding["id"] for finding in amt["findings"]]
    skipped = {entry["id"] for entry in amt["findings_skipped"]}
    assert {"AMT-TLS-01", "AMT-AUD-02", "AMT-REDIR-04"} <= skipped
    assert host["amt_password"] not in run.output


def test_wrong_password_is_an_authentication_error_without_the_password(first_host_reads):
    result = first_host_reads["wrong password"]
    assert result["failed"] is True
    assert result["error"] == "authentication"
    assert "amt" not in result
    assert WRONG_PASSWORD not in first_host_reads.output
    assert WRONG_PASSWORD not in json.dumps(result)


def test_unreachable_host(first_host_reads):
    result = first_host_reads["unreachable"]
    assert result["failed"] is True
    assert result["error"] == "unreachable"
    assert UNREACHABLE_ADDRESS in result["msg"]


def test_certificate_from_another_ca_is_a_tls_error(first_host_reads):
    result = first_host_reads["other CA"]
    assert result["failed"] is True
    assert result["error"] == "tls"


def test_check_mode_reads_the_same_and_changes_nothing(modern_fleet, tmp_path):
    args = dict(OVER_TLS, gather_subset=["!wifi", "!power"], needed_features=["sol", "ider", "kvm", "web_ui"])
    run = run_play(tmp_path, modern_fleet.inventory_path, [("normal", "amt_info", args), ("checked", "amt_info", args, {"check_mode": True})],
                   hosts="amt")
    normal, checked = run.by_host("normal"), run.by_host("checked")
    assert set(checked) == set(modern_fleet.hosts)
    for name, host in modern_fleet.hosts.items():
        result = checked[name]
        assert not result.get("failed"), result
        assert result["changed"] is False
        amt = result["amt"]
        assert amt["gathered_subsets"] == [subset for subset in SUBSETS if subset not in ("wifi", "power")]
        assert "wifi" not in amt and "power" not in amt
        assert {"AMT-WIFI-01", "AMT-WIFI-05"} <= {entry["id"] for entry in amt["findings_skipped"]}
        assert amt["general"]["uuid"] == host["amt_uuid"]
        assert amt["findings"] == normal[name]["amt"]["findings"]
        assert not {"AMT-REDIR-02", "AMT-WEB-01"} & {finding["id"] for finding in amt["findings"]}
        assert result["amt_requests"] == normal[name]["amt_requests"]


def test_provisioning_root_hashes_off_the_allowlist_are_findings(modern_fleet, tmp_path):
    name, _host = first_host(modern_fleet)
    provisioning = dict(OVER_TLS, gather_subset=["provisioning"])
    read = run_play(tmp_path, modern_fleet.inventory_path, [("read", "amt_info", provisioning)], hosts=name)["read"]
    hashes = read["amt"]["provisioning"]["certificate_hashes"]
    (root,) = [entry["hash"] for entry in hashes if entry["name"] == "amtsim provisioning root CA"]
    # Colons and upper case, as a certificate viewer shows a fingerprint.
    fingerprint = ":".join(root[index:index + 2] for index in range(0, len(root), 2)).upper()
    judged = run_play(tmp_path, modern_fleet.inventory_path, [
        ("allowlist", "amt_info", dict(provisioning, allowed_provisioning_hashes=[fingerprint]))], hosts=name)["allowlist"]
    assert not judged.get("failed"), judged
    findings = [finding for finding in judged["amt"]["findings"] if finding["id"] == "AMT-RPROV-01"]
    assert sorted(finding["observed"].split(" (")[0] for finding in findings) == sorted(
        "provisioning root hash %s" % entry["name"] for entry in hashes if entry["hash"] != root)
    assert all("MEBx" in finding["fix"] for finding in findings)


def test_allowed_provisioning_hashes_are_checked_before_sending(tmp_path):
    bad = {"too short": "ab" * 31, "not hex": "not-a-fingerprint"}
    results, _output = run_cases(tmp_path, {"amt_info": {}}, dict((case, {"allowed_provisioning_hashes": [value]}) for case, value in bad.items()),
                                 common_args={"hostname": UNREACHABLE_ADDRESS, "password": "Unused-Passw0rd!", "timeout": 5})
    for case, value in bad.items():
        assert_refused_before_sending(results["amt_info"][case], "allowed_provisioning_hashes", repr(value), "module")
