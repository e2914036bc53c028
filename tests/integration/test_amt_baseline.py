# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_baseline against a mixed simulated fleet: CCM with the factory's weak settings, ACM with a TLS change whose commit
answer is lost, an old firmware with advisories, a factory device judged over its local interface, a device that drops
mid-run, the site's allowed accounts enforced beside the Auditor, and inputs refused before anything is sent.

Loopback range 127.77.216-219 / 127.78.216-219: 216 CCM (.1-.2, in process .41, Wi-Fi .51, site data .61), old firmware
(.21) and factory (.31); 217 ACM with TLS; 219 a device that drops mid-run; 127.77.219.250 has no listener. And
127.77.165.x / 127.78.165.x: the allowed accounts (.1).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import PYTHON_BIN, Fleet, _wait_until_serving, assert_refused_before_sending, device, make_ca, run_cases, run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient, embedded, epr
from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiClient
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import read_accounts
from ansible_collections.oob.amt.plugins.module_utils.baseline.catalog import IDS
from ansible_collections.oob.amt.plugins.module_utils.baseline.runner import STATUSES, Run
from ansible_collections.oob.amt.plugins.module_utils.baseline.settings import baseline_settings
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

UNREACHABLE = "127.77.219.250"
CCM = {"first_address": "127.77.216.1", "local_first_address": "127.78.216.1"}
ACM = {"first_address": "127.77.217.1", "local_first_address": "127.78.217.1"}
LEGACY = {"first_address": "127.77.216.21", "local_first_address": "127.78.216.21"}
FACTORY = {"first_address": "127.77.216.31", "local_first_address": "127.78.216.31"}
IN_PROCESS = {"first_address": "127.77.216.41", "local_first_address": "127.78.216.41"}
WIRELESS = {"first_address": "127.77.216.51", "local_first_address": "127.78.216.51"}
SITE_DATA = {"first_address": "127.77.216.61", "local_first_address": "127.78.216.61"}
MPS_PASSWORD = "Mps-Passw0rd-7!"
DROPPING = {"first_address": "127.77.219.1", "local_first_address": "127.78.219.1"}
ACCOUNTS = {"first_address": "127.77.165.1", "local_first_address": "127.78.165.1"}
OPERATOR_PASSWORD = "Op3rator!pass"
KIOSK_PASSWORD = "K1osk-Passw0rd!"
# What the CCM factory settings of the simulator differ in from the baseline's defaults, and the controls that change it.
AUDITOR_PASSWORD = "Aud1tor-Passw0rd!"
WEAK_CCM = ("AMT-AUD-03", "AMT-AUD-04", "AMT-TLS-04", "AMT-REDIR-01", "AMT-REDIR-02", "AMT-WEB-01")


@pytest.fixture(scope="module")
def ccm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("baseline-ccm"), 2, "ccm", CCM)
    yield fleet
    fleet.stop()


def by_id(result):
    return dict((entry["id"], entry) for entry in result["controls"])


def assert_no_write(result):
    assert all(entry["writes"] == [] for entry in result["controls"]), [entry for entry in result["controls"] if entry["writes"]]


def assert_well_formed(result):
    assert not result.get("failed"), result
    assert set(result["summary"]) == set(STATUSES)
    assert sum(result["summary"].values()) == len(result["controls"])
    for entry in result["controls"]:
        assert entry["status"] in STATUSES, entry
        assert set(entry) == {"id", "title", "severity", "status", "reason", "actions", "writes", "error", "fix"}, entry


def redirection_of(target):
    client = target.client()
    try:
        return (client.get("AMT_RedirectionService")["EnabledState"], client.get("CIM_KVMRedirectionSAP")["EnabledState"],
                client.get("AMT_WebUIService")["EnabledState"])
    finally:
        client.close()


def test_weak_ccm_device_check_mode_first_run_and_a_second_run_that_sends_nothing(ccm_fleet, tmp_path):
    target = device(ccm_fleet, 0)
    before = redirection_of(target)
    check = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("check", "amt_baseline", target.connection(), {"check_mode": True, "diff": True})], hosts=target.name)["check"]
    after_check = redirection_of(target)
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("first", "amt_baseline", target.connection()),
        ("second", "amt_baseline", target.connection()),
    ], hosts=target.name)
    first, second = runs["first"], runs["second"]
    for result in (check, first, second):
        assert_well_formed(result)
        assert [entry["id"] for entry in result["controls"]] == list(IDS)
        assert result["device"] == {"uuid": target.vars["amt_uuid"], "firmware": target.vars["amt_firmware"], "control_mode": "ccm",
                                    "hostname": target.vars["amt_hostname"]}
    # Check mode: the drift exactly, nothing sent.
    assert check["changed"] is True and check["tls"] is None
    assert_no_write(check)
    drifted = dict((entry["id"], entry["actions"]) for entry in check["controls"] if entry["status"] == "drifted" and entry["actions"])
    assert sorted(drifted) == sorted(WEAK_CCM), drifted
    assert drifted["AMT-REDIR-02"] == ["turn KVM off"]
    assert drifted["AMT-WEB-01"] == ["turn the web UI off"]
    assert drifted["AMT-TLS-04"][-1].startswith("commit the TLS changes")
    assert check["diff"]["before"]["AMT-REDIR-02"]["kvm"] is True and check["diff"]["after"]["AMT-REDIR-02"]["kvm"] is False
    assert after_check == before
    # First run: each of them changed, every write confirmed and read back.
    changed = by_id(first)
    assert first["changed"] is True and first["indeterminate"] is False
    assert sorted(entry["id"] for entry in first["controls"] if entry["status"] == "changed") == sorted(WEAK_CCM)
    for control_id in WEAK_CCM:
        assert changed[control_id]["actions"] == drifted[control_id]
        assert changed[control_id]["writes"] and all(write["status"] == "confirmed" and write["verified"]
                                                     for write in changed[control_id]["writes"]), changed[control_id]
    assert redirection_of(target) != before
    # Second run: compliant, no write, and fewer requests than any run that changed something.
    assert second["changed"] is False
    assert_no_write(second)
    assert all(by_id(second)[control_id]["status"] == "compliant" for control_id in WEAK_CCM)
    assert second["summary"]["changed"] == 0 and second["summary"]["failed"] == 0
    assert second["amt_requests"] < first["amt_requests"]
    # Observed and manual controls are judged alike in every run.
    for control_id in ("AMT-PROV-01", "AMT-PROV-02", "AMT-MEBX-02", "AMT-NET-01"):
        assert by_id(check)[control_id]["status"] == by_id(second)[control_id]["status"]
    assert by_id(second)["AMT-PROV-02"]["status"] == "drifted" and "ccm" in by_id(second)["AMT-PROV-02"]["reason"]
    assert by_id(second)["AMT-MEBX-02"]["status"] == "manual" and by_id(second)["AMT-MEBX-02"]["reason"]


def test_exceptions_are_reported_with_their_reason_and_never_changed(ccm_fleet, tmp_path):
    target = device(ccm_fleet, 1)
    kiosk = "KVM needed on the kiosk group"
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("observe", "amt_baseline", dict(target.connection(), controls=["AMT-WEB-01", "AMT-REDIR-02"], enforce=False)),
        ("one control observed", "amt_baseline", dict(target.connection(), controls=["AMT-WEB-01"],
                                                      baseline={"AMT-WEB-01": {"enforce": False}})),
        ("excepted", "amt_baseline", dict(target.connection(), controls=["AMT-REDIR-02", "AMT-WEB-01"],
                                          exceptions={"AMT-REDIR-02": kiosk})),
    ], hosts=target.name)
    observe, one, excepted = runs["observe"], runs["one control observed"], runs["excepted"]
    for result in (observe, one):
        assert_well_formed(result)
        assert result["changed"] is False
        assert_no_write(result)
    assert [(entry["id"], entry["status"], entry["actions"]) for entry in observe["controls"]] == [
        ("AMT-REDIR-02", "drifted", ["turn KVM off"]), ("AMT-WEB-01", "drifted", ["turn the web UI off"])]
    assert by_id(one)["AMT-WEB-01"]["status"] == "drifted"
    assert_well_formed(excepted)
    entries = by_id(excepted)
    assert list(entries) == ["AMT-REDIR-02", "AMT-WEB-01"]
    assert entries["AMT-REDIR-02"]["status"] == "excepted" and entries["AMT-REDIR-02"]["reason"] == kiosk
    assert entries["AMT-REDIR-02"]["writes"] == [] and entries["AMT-REDIR-02"]["actions"] == ["turn KVM off"]
    assert entries["AMT-WEB-01"]["status"] == "changed"
    assert excepted["summary"] == dict((status, 0) for status in STATUSES) | {"excepted": 1, "changed": 1}
    _sol_ider, kvm, web_ui = redirection_of(target)
    assert kvm in ("2", "6") and web_ui == "3"


def test_refused_inputs_name_their_setting_before_anything_is_sent(tmp_path):
    certificate, key = make_ca("oob.amt refusal test CA")
    connection = {"hostname": UNREACHABLE, "password": "Unused-Passw0rd!", "timeout": 5}
    cases = {
        "unknown control": ({"controls": ["AMT-TLS-01", "AMT-XYZ-99"]}, "controls", "unknown control id 'AMT-XYZ-99'; known: AMT-PROV-01"),
        "unknown baseline id": ({"baseline": {"AMT-XYZ-99": {}}}, "baseline", "unknown control id 'AMT-XYZ-99'"),
        "unknown setting": ({"baseline": {"AMT-REDIR-02": {"kvn": False}}}, "baseline.AMT-REDIR-02.kvn", "unknown setting"),
        "not a bool": ({"baseline": {"AMT-REDIR-02": {"kvm": "perhaps"}}}, "baseline.AMT-REDIR-02.kvm", ""),
        "bad choice": ({"baseline": {"AMT-REDIR-03": {"user_consent": "sometimes"}}}, "baseline.AMT-REDIR-03.user_consent", ""),
        "unit rule": ({"baseline": {"AMT-REDIR-03": {"consent_code_timeout": 5}}}, "baseline.AMT-REDIR-03.consent_code_timeout",
                      "must be between 60 and 900"),
        "audit event": ({"baseline": {"AMT-AUD-03": {"events": {"kvm": ["no_such_event"]}}}}, "baseline.AMT-AUD-03.events.kvm",
                        "unknown event no_such_event"),
        "empty reason": ({"exceptions": {"AMT-REDIR-02": " "}}, "exceptions.AMT-REDIR-02", "needs a reason"),
        "unknown secret": ({"secrets": {"admin_password": "x"}}, "secrets.admin_password", "unknown secret"),
        "settings not a mapping": ({"baseline": {"AMT-WEB-01": "off"}}, "baseline.AMT-WEB-01", "must be a mapping"),
        "certificate not for this host": (
            {"baseline": {"AMT-TLS-01": {"server_certificate": {"common_name": "other.example.com"}, "issuer_certificate": certificate}},
             "secrets": {"tls_ca_key": key}},
            "baseline.AMT-TLS-01.server_certificate.subject_alt_names", "must include %s" % UNREACHABLE),
        "issuer without its key": (
            {"baseline": {"AMT-TLS-01": {"server_certificate": {"common_name": UNREACHABLE}, "issuer_certificate": certificate}},
             "secrets": {"tls_ca_key": "not a key"}},
            "secrets.tls_ca_key", "must be a PEM"),
        "weak auditor password": ({"baseline": {"AMT-AUD-01": {"name": "auditor"}}, "secrets": {"auditor_password": "short"}},
                                  "secrets.auditor_password", "does not meet AMT's password rule"),
    }
    results, output = run_cases(tmp_path, {"amt_baseline": {}}, dict((case, args) for case, (args, _option, _rule) in cases.items()),
                                common_args=connection)
    for case, (_args, option, rule) in cases.items():
        assert_refused_before_sending(results["amt_baseline"][case], option, rule, "module")
    assert "Unused-Passw0rd!" not in output and key.splitlines()[1] not in output


def _mei_local_account(target):
    return MeiClient(target.vars["amt_mei_socket"], timeout=10).get_local_system_account()


def test_a_factory_device_fails_prov_01_and_nothing_else_is_judged(tmp_path):
    fleet = start_fleet(tmp_path, 1, "factory", FACTORY)
    try:
        name = sorted(fleet.hosts)[0]
        host = fleet.hosts[name]
        username, password = _mei_local_account(type("Target", (), {"vars": host}))
        result = run_play(tmp_path, fleet.inventory_path, [
            ("local", "amt_baseline", {"hostname": host["amt_local_hostname"], "username": username, "password": password,
                                       "use_tls": False}),
        ], hosts=name)["local"]
    finally:
        fleet.stop()
    assert_well_formed(result)
    entries = by_id(result)
    assert result["changed"] is False and result["device"]["control_mode"] == "pre"
    assert entries["AMT-PROV-01"]["status"] == "drifted" and "pre" in entries["AMT-PROV-01"]["reason"]
    assert "amt_provision" in entries["AMT-PROV-01"]["fix"]
    assert entries["AMT-REDIR-02"]["status"] == "not_applicable" and "not provisioned" in entries["AMT-REDIR-02"]["reason"]
    assert entries["AMT-NET-01"]["status"] == "manual"
    assert result["summary"]["changed"] == 0 and result["summary"]["failed"] == 0
    assert_no_write(result)


def test_old_firmware_with_advisories_drifts_on_fw_01(tmp_path):
    fleet = start_fleet(tmp_path, 1, "ccm", LEGACY, firmware="11.0.0.1000")
    try:
        target = device(fleet, 0)
        result = run_play(tmp_path, fleet.inventory_path, [
            ("legacy", "amt_baseline", dict(target.connection(use_tls=False), controls=["AMT-FW-01", "AMT-TLS-01", "AMT-TLS-02"]),
             {"check_mode": True}),
        ], hosts=target.name)["legacy"]
    finally:
        fleet.stop()
    assert_well_formed(result)
    entries = by_id(result)
    assert entries["AMT-FW-01"]["status"] == "drifted"
    assert "INTEL-SA-00075" in entries["AMT-FW-01"]["reason"] and "OEM" in entries["AMT-FW-01"]["fix"]
    affected = [advisory["advisory"] for advisory in result["advisories"] if advisory["status"] == "affected"]
    assert affected[0] == "INTEL-SA-00075"
    # The certificate the device already serves is kept: TLS is judged without a CA.
    assert entries["AMT-TLS-01"]["status"] == "compliant" and entries["AMT-TLS-02"]["status"] in ("compliant", "drifted")
    assert_no_write(result)


def test_a_device_that_drops_mid_run_fails_the_rest_as_unreachable(tmp_path):
    # After its first successful RequestStateChange (KVM off, the first write of the run) the device refuses connections.
    fleet = start_fleet(tmp_path, 1, "ccm", DROPPING, faults="restart-after=RequestStateChange:300")
    try:
        target = device(fleet, 0)
        result = run_play(tmp_path, fleet.inventory_path, [
            ("dropping", "amt_baseline", target.connection(timeout=5)),
        ], hosts=target.name)["dropping"]
    finally:
        fleet.stop()
    assert_well_formed(result)
    entries = by_id(result)
    kvm = entries["AMT-REDIR-02"]
    assert kvm["status"] == "failed" and kvm["error"]["kind"] in ("unreachable", "tls"), kvm
    assert kvm["writes"] == [{"action": "turn KVM off", "status": "confirmed", "verified": False}]
    assert result["changed"] is True
    for control_id in ("AMT-AUD-03", "AMT-REDIR-01", "AMT-WEB-01", "AMT-TLS-04"):
        assert entries[control_id]["status"] == "failed" and entries[control_id]["error"]["kind"] == "unreachable", entries[control_id]
        assert entries[control_id]["writes"] == []
    # Observed and manual controls rest on what was read before the loss.
    assert entries["AMT-PROV-02"]["status"] == "drifted" and entries["AMT-NET-01"]["status"] == "manual"


def _latency_fleet(tmp_path, addresses, profile, knobs):
    state_dir, inventory_path = tmp_path / "state", tmp_path / "inventory.yml"
    command = [str(PYTHON_BIN / "python"), "-m", "amtsim", "serve", "--devices", "1", "--profile", profile, "--seed", "11",
               "--first-address", addresses["first_address"], "--local-first-address", addresses["local_first_address"],
               "--state-dir", str(state_dir), "--inventory", str(inventory_path)]
    for knob, value in knobs.items():
        command += ["--latency-set", "%s=%s" % (knob, value)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_until_serving(process, 1)
    return Fleet(process, inventory_path, state_dir)


def test_acm_tls_change_last_with_its_commit_answer_lost_then_nothing(tmp_path):
    certificate, key = make_ca("oob.amt baseline test CA")
    ca_path = tmp_path / "site-ca.pem"
    ca_path.write_text(certificate, encoding="utf-8")
    fleet = _latency_fleet(tmp_path, ACM, "acm", {"tls_commit_cut_chance": 1})
    try:
        target = device(fleet, 0)
        baseline = {"AMT-TLS-01": {"server_certificate": {"common_name": "amt-baseline.example.com",
                                                          "subject_alt_names": [target.vars["amt_hostname"]]},
                                   "issuer_certificate": certificate}}
        baseline["AMT-AUD-01"] = {"name": "auditor"}
        args = {"baseline": baseline, "secrets": {"tls_ca_key": key, "auditor_password": AUDITOR_PASSWORD}}
        first = run_play(tmp_path, fleet.inventory_path, [
            ("first", "amt_baseline", dict(target.connection(timeout=60), **args), {"diff": True}),
        ], hosts=target.name)["first"]
        second = run_play(tmp_path, fleet.inventory_path, [
            ("second", "amt_baseline", dict(target.connection(ca_path=str(ca_path), timeout=60), **args)),
        ], hosts=target.name)["second"]
    finally:
        fleet.stop()
    assert_well_formed(first)
    entries = by_id(first)
    tls = entries["AMT-TLS-01"]
    assert tls["status"] == "changed", tls
    commit = [write for write in tls["writes"] if write["action"].startswith("commit")]
    # The answer was lost: the commit is never sent again; reaching the device over the new certificate confirms it.
    assert commit == [{"action": commit[0]["action"], "status": "confirmed", "verified": True}], tls["writes"]
    assert first["tls"]["port"] == 16993 and first["tls"]["use_tls"] is True and first["tls"]["cert_fingerprint"]
    assert first["diff"]["before"]["AMT-TLS-01"]["server_certificate"] != first["diff"]["after"]["AMT-TLS-01"]["server_certificate"]
    # ACM: the consent policy is the baseline's; the auditor added first, then the audit policy set in its session.
    assert first["device"]["control_mode"] == "acm" and entries["AMT-PROV-02"]["status"] == "compliant"
    assert entries["AMT-REDIR-03"]["status"] in ("compliant", "changed"), entries["AMT-REDIR-03"]
    assert entries["AMT-AUD-01"]["status"] == "changed", entries["AMT-AUD-01"]
    assert [entries[control_id]["status"] for control_id in ("AMT-AUD-03", "AMT-AUD-04")] == ["changed", "changed"], first["controls"]
    assert first["summary"]["failed"] == 0, [entry for entry in first["controls"] if entry["status"] == "failed"]
    assert AUDITOR_PASSWORD not in str(first) and key not in str(first)
    assert_well_formed(second)
    assert second["changed"] is False and second["tls"] is None
    assert_no_write(second)
    assert by_id(second)["AMT-TLS-01"]["status"] == "compliant"
    assert all(by_id(second)[control_id]["status"] == "compliant" for control_id in ("AMT-AUD-01", "AMT-AUD-02", "AMT-AUD-03", "AMT-AUD-04"))


class RecordingModule:
    """What the runner uses of an AmtModule, in this process, with every request it sends recorded as (class, action)."""

    def __init__(self, target, check_mode=False):
        self.target = target
        self.params = {"username": target.vars["amt_username"], "password": target.vars["amt_password"], "use_tls": True,
                       "client_cert": None, "client_key": None}
        self.hostname = target.vars["amt_hostname"]
        self.check_mode = check_mode
        self.requests = []
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self.connect()
        return self._client

    def connect(self, username=None, password=None, **overrides):
        transport = WsmanTransport(self.hostname, overrides.get("port", self.target.vars["amt_tls_port"]), username or self.params["username"],
                                   password or self.params["password"], use_tls=overrides.get("use_tls", True),
                                   ca_path=overrides.get("ca_path", self.target.ca_path) if not overrides.get("cert_fingerprint") else None,
                                   cert_fingerprint=overrides.get("cert_fingerprint"), timeout=10)
        client = AmtClient(transport)
        send = client._send  # pylint: disable=protected-access

        def recording(body, idempotent):
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            resource = _RESOURCE.search(text).group(1).rsplit("/", 1)[-1]
            action = _ACTION.search(text).group(1).rsplit("/", 1)[-1]
            self.requests.append((resource, action))
            return send(body, idempotent)
        client._send = recording  # pylint: disable=protected-access
        return client

    def redact(self, text):
        return text

    def close(self):
        if self._client is not None:
            self._client.close()


_RESOURCE = re.compile(r"<w:ResourceURI>([^<]+)</w:ResourceURI>")
_ACTION = re.compile(r"<a:Action>([^<]+)</a:Action>")
READS = ("Get", "Enumerate", "Pull")
# Methods that only read; every other method, Put, Create and Delete change the device.
READ_METHODS = ("GetUuid", "GetAdminAclEntry", "GetAdminAclEntryStatus", "GetAdminNetAclEntryStatus", "EnumerateUserAclEntries",
                "GetUserAclEntryEx")


def baseline_in_process(target, check_mode=False):
    module = RecordingModule(target, check_mode=check_mode)
    run = Run(module, list(IDS), baseline_settings({}), {}, {}, True)
    try:
        run.check_inputs()
        return run.run(), module.requests
    finally:
        module.close()


def test_a_compliant_run_reads_each_class_once_and_writes_nothing_and_tls_goes_last(tmp_path):
    fleet = start_fleet(tmp_path, 1, "ccm", IN_PROCESS)
    try:
        target = device(fleet, 0)
        first, first_requests = baseline_in_process(target)
        second, second_requests = baseline_in_process(target)
    finally:
        fleet.stop()
    writes = [(resource, action) for resource, action in first_requests if action not in READS + READ_METHODS]
    tls_writes = [index for index, (resource, action) in enumerate(writes)
                  if resource in ("AMT_TLSSettingData", "AMT_TLSCredentialContext") or action == "CommitChanges"]
    assert first["changed"] is True and tls_writes, writes
    assert tls_writes == list(range(len(writes) - len(tls_writes), len(writes))), writes
    assert writes[-1] == ("AMT_SetupAndConfigurationService", "CommitChanges")
    assert second["changed"] is False and second["summary"]["changed"] == 0
    assert [request for request in second_requests if request[1] not in READS + READ_METHODS] == []
    reads = [request for request in second_requests if request[1] in ("Get", "Enumerate")]
    assert sorted(set(reads)) == sorted(reads), [request for request in set(reads) if reads.count(request) > 1]


def _add_open_user_profile(target, name):
    """An open (unencrypted) profile, as the host OS adds one: a user profile, through the local system account."""
    username, password = _mei_local_account(target)
    client = AmtClient(WsmanTransport(target.vars["amt_local_hostname"], 16992, username, password, use_tls=False, timeout=10))
    try:
        outputs = client.invoke("AMT_WiFiPortConfigurationService", "AddWiFiSettings", [
            ("WiFiEndpoint", epr("CIM_WiFiEndpoint", {"Name": "WiFi Endpoint 0"})),
            ("WiFiEndpointSettingsInput", embedded("CIM_WiFiEndpointSettings", {
                "ElementName": name, "InstanceID": "Intel(r) AMT:WiFi Endpoint Settings %s" % name, "SSID": "cafe-free",
                "Priority": 5, "AuthenticationMethod": 2, "EncryptionMethod": 5}))])
        assert outputs["ReturnValue"] == 0, outputs
    finally:
        client.close()


def test_open_profiles_and_profiles_off_the_allowlist_are_removed(tmp_path):
    fleet = start_fleet(tmp_path, 1, "ccm", WIRELESS)
    try:
        target = device(fleet, 0)
        _add_open_user_profile(target, "cafe")
        psk = {"ssid": "corp", "priority": 1, "security": "wpa2_psk", "passphrase": "Wifi-Passphrase-0f-Corp"}
        wifi_controls = ["AMT-WIFI-01", "AMT-WIFI-03", "AMT-WIFI-04", "AMT-WIFI-05"]
        allowlist = {"AMT-WIFI-04": {"allowed_profiles": ["office"]}}
        runs = run_play(tmp_path, fleet.inventory_path, [
            ("profiles", "amt_wifi_profile", dict(target.connection(), profiles=[dict(psk, name="office"), dict(psk, name="guest", priority=2)])),
            ("without an allowlist", "amt_baseline", dict(target.connection(), controls=wifi_controls), {"check_mode": True}),
            ("enforce", "amt_baseline", dict(target.connection(), controls=wifi_controls, baseline=allowlist)),
            ("again", "amt_baseline", dict(target.connection(), controls=wifi_controls, baseline=allowlist)),
        ], hosts=target.name)
    finally:
        fleet.stop()
    assert not runs["profiles"].get("failed"), runs["profiles"]
    observed, enforced, again = by_id(runs["without an allowlist"]), by_id(runs["enforce"]), by_id(runs["again"])
    assert observed["AMT-WIFI-01"]["status"] == "drifted" and observed["AMT-WIFI-01"]["actions"] == ["delete profile cafe"]
    assert observed["AMT-WIFI-04"]["status"] == "manual" and "baseline.AMT-WIFI-04.allowed_profiles" in observed["AMT-WIFI-04"]["reason"]
    assert enforced["AMT-WIFI-01"]["status"] == "changed" and enforced["AMT-WIFI-01"]["writes"] == [
        {"action": "delete profile cafe", "status": "confirmed", "verified": True}]
    assert enforced["AMT-WIFI-04"]["status"] == "changed" and enforced["AMT-WIFI-04"]["actions"] == ["delete profile guest"]
    assert [again[control_id]["status"] for control_id in wifi_controls] == ["compliant", "drifted", "compliant", "compliant"]
    assert "office (wpa2_psk)" in again["AMT-WIFI-03"]["reason"]
    assert runs["again"]["changed"] is False


def test_controls_that_need_the_sites_data_are_enforced_once_it_is_given(tmp_path):
    fleet = start_fleet(tmp_path, 1, "ccm", SITE_DATA)
    try:
        target = device(fleet, 0)
        controls = ["AMT-ENV-01", "AMT-CIRA-01", "AMT-CIRA-03"]
        site = {"AMT-ENV-01": {"detection_domains": ["corp.example.com"]},
                "AMT-CIRA-01": {"servers": [{"address": "mps.example.com", "username": "amtmps"}]},
                "AMT-CIRA-03": {"user_initiated": "disabled"}}
        secrets = {"mps_passwords": {"mps.example.com": MPS_PASSWORD}}
        runs = run_play(tmp_path, fleet.inventory_path, [
            ("without", "amt_baseline", dict(target.connection(), controls=controls)),
            ("with", "amt_baseline", dict(target.connection(), controls=controls, baseline=site, secrets=secrets), {"diff": True}),
            ("again", "amt_baseline", dict(target.connection(), controls=controls, baseline=site, secrets=secrets)),
        ], hosts=target.name)
    finally:
        fleet.stop()
    without, given, again = runs["without"], runs["with"], runs["again"]
    assert without["changed"] is False
    for entry in without["controls"]:
        assert entry["status"] in ("manual", "compliant", "drifted") and entry["writes"] == [], entry
        assert "observed only: give baseline.%s." % entry["id"] in entry["reason"], entry
    assert [entry["status"] for entry in given["controls"]] == ["changed", "changed", "changed"], given["controls"]
    assert by_id(given)["AMT-ENV-01"]["actions"] and all(write["verified"] for write in by_id(given)["AMT-CIRA-01"]["writes"])
    assert MPS_PASSWORD not in str(given) and MPS_PASSWORD not in runs.output
    assert again["changed"] is False and [entry["status"] for entry in again["controls"]] == ["compliant"] * 3
    assert_no_write(again)


def _device_accounts(target):
    """(name or SID, access, realms, system) of every ACL entry besides the admin, as the device holds them."""
    client = target.client()
    try:
        return sorted((account["name"] or account["kerberos_sid"], account["access"], account["realms"], account["system"])
                      for account in read_accounts(client))
    finally:
        client.close()


def test_allowed_accounts_purge_the_unknown_keep_the_auditor_and_system_accounts_and_fix_access(tmp_path):
    fleet = start_fleet(tmp_path, 1, "ccm", ACCOUNTS)
    try:
        target = device(fleet, 0)
        controls = ["AMT-ACCT-03", "AMT-ACCT-04", "AMT-AUD-01"]
        site = {"AMT-AUD-01": {"name": "auditor"},
                "AMT-ACCT-03": {"accounts": [{"name": "operator", "realms": ["general_info"], "access": "local"},
                                             {"name": "kiosk", "realms": ["general_info"]}]}}
        secrets = {"auditor_password": AUDITOR_PASSWORD, "account_passwords": {"kiosk": KIOSK_PASSWORD}}
        listed = dict(target.connection(), controls=controls, baseline=site, secrets=secrets)
        runs = run_play(tmp_path, fleet.inventory_path, [
            ("setup", "amt_user", dict(target.connection(), accounts=[
                {"name": "operator", "password": OPERATOR_PASSWORD, "realms": ["general_info", "redirection"]},
                {"name": "helpdesk", "password": OPERATOR_PASSWORD, "realms": ["remote_control"], "access": "any"}])),
            ("without a list", "amt_baseline", dict(target.connection(), controls=controls[:2])),
            ("no password", "amt_baseline", dict(listed, secrets={"auditor_password": AUDITOR_PASSWORD}), {"check_mode": True}),
            ("check", "amt_baseline", listed, {"check_mode": True, "diff": True}),
            ("enforce", "amt_baseline", listed, {"diff": True}),
            ("again", "amt_baseline", listed),
        ], hosts=target.name)
        after = _device_accounts(target)
        kiosk_signs_in = target.logs_in("kiosk", KIOSK_PASSWORD), target.logs_in("kiosk", OPERATOR_PASSWORD)
        operator_signs_in_over_the_network = target.logs_in("operator", OPERATOR_PASSWORD)
    finally:
        fleet.stop()
    assert not runs["setup"].get("failed"), runs["setup"]
    for name in ("without a list", "no password", "check", "enforce", "again"):
        assert_well_formed(runs[name])
    # Without the site's list the accounts are listed for a person to judge; nothing is sent.
    without = by_id(runs["without a list"])
    assert [without[control_id]["status"] for control_id in controls[:2]] == ["manual", "manual"]
    assert "helpdesk (digest) realms remote_control" in without["AMT-ACCT-03"]["reason"]
    assert "operator (digest) network; helpdesk (digest) any" in without["AMT-ACCT-04"]["reason"]
    assert runs["without a list"]["changed"] is False
    assert_no_write(runs["without a list"])
    # A digest account to create without its password: refused naming the secret, before any write.
    refused = by_id(runs["no password"])["AMT-ACCT-03"]
    assert refused["status"] == "failed" and refused["error"]["kind"] == "invalid_input", refused
    assert refused["error"]["msg"].startswith("secrets.account_passwords.kiosk: needed to create digest account kiosk")
    assert_no_write(runs["no password"])
    # Check mode: the drift exactly, nothing sent; the Auditor does not exist yet.
    check, enforced, again = by_id(runs["check"]), by_id(runs["enforce"]), by_id(runs["again"])
    expected = {
        "AMT-AUD-01": ["add digest account auditor"],
        "AMT-ACCT-03": ["remove digest account helpdesk", "set the realms of digest account operator to general_info",
                        "add digest account kiosk (realms general_info; access network)"],
        "AMT-ACCT-04": ["set the access of digest account operator to local"],
    }
    assert dict((control_id, check[control_id]["actions"]) for control_id in controls) == expected
    assert all(check[control_id]["status"] == "drifted" for control_id in controls)
    assert runs["check"]["changed"] is True
    assert_no_write(runs["check"])
    assert runs["check"]["diff"]["after"]["AMT-ACCT-04"]["accounts"][0]["access"] == "local"
    # The run: the same actions, each write confirmed and read back; the Auditor made first and spared by the purge.
    for control_id in controls:
        assert enforced[control_id]["status"] == "changed", enforced[control_id]
        assert enforced[control_id]["actions"] == expected[control_id]
        assert [(write["status"], write["verified"]) for write in enforced[control_id]["writes"]] == [("confirmed", True)] * len(expected[control_id])
    assert after == [("$$OsAdmin", "local", ["local_system"], True), ("$$uns", "local", ["localun"], True),
                     ("auditor", "network", ["audit_log"], False), ("kiosk", "network", ["general_info"], False),
                     ("operator", "local", ["general_info"], False)]
    assert kiosk_signs_in == (True, False)
    assert operator_signs_in_over_the_network is False  # its access is local now
    # Second run: compliant, no write.
    assert runs["again"]["changed"] is False
    assert [again[control_id]["status"] for control_id in controls] == ["compliant"] * 3
    assert_no_write(runs["again"])
    for secret in (AUDITOR_PASSWORD, KIOSK_PASSWORD, OPERATOR_PASSWORD):
        assert secret not in runs.output
