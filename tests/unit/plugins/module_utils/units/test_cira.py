# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, planning and the periodic schedule encoding of the CIRA unit, without a device."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import cira
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_MASK
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

MPS = {"address": "mps.example.test", "port": 4433, "cn": None, "username": "meshuser", "password": "P4ssw0rd", "state": "present"}


def validated(**options):
    return cira.validate(options)


def device_server(address="mps.example.test", port=4433, cn=None, handle=0):
    name = "Intel(r) AMT:Management Presence Server %d" % handle
    return {"name": name, "selectors": {"Name": name}, "address": address, "port": port, "cn": cn}


def device_policy(trigger="periodic", servers=("mps.example.test",), interval=25, mps_type="external", untyped=()):
    return {"trigger": trigger, "selectors": {"PolicyRuleName": trigger}, "servers": list(servers), "tunnel_lifetime": 0,
            "interval": interval if trigger == "periodic" else None, "daily_at": None,
            "mps_types": dict((server.lower(), mps_type) for server in servers), "untyped": list(untyped)}


def state(servers=(), policies=(), user_initiated=None):
    return {"servers": list(servers), "policies": dict((policy["trigger"], policy) for policy in policies),
            "user_initiated": user_initiated, "mps_root_certificate": None}


@pytest.mark.parametrize("server, message", [
    (dict(MPS, address="bad_name"), r"^servers\[0\]\.address: "),
    (dict(MPS, address="x" * 300), r"^servers\[0\]\.address: "),
    (dict(MPS, port=0), r"^servers\[0\]\.port: "),
    (dict(MPS, port=65536), r"^servers\[0\]\.port: "),
    (dict(MPS, cn="c" * 257), r"^servers\[0\]\.cn: "),
    (dict(MPS, address="192.0.2.7"), r"^servers\[0\]\.cn: a server given by IP address"),
    (dict(MPS, username="mesh-user"), r"^servers\[0\]\.username: 1 to 16 letters or digits"),
    (dict(MPS, username="u" * 17), r"^servers\[0\]\.username: "),
    (dict(MPS, password="p" * 17), r"^servers\[0\]\.password: 1 to 16"),
    (dict(MPS, password=None), r"^servers\[0\]\.password: username and password go together"),
    (dict(MPS, certificate="1"), r"^servers\[0\]\.certificate: .*not both"),
    (dict(MPS, username=None, password=None, certificate="pem"), r"^servers\[0\]\.certificate: the handle"),
])
def test_server_rules_name_the_option(server, message):
    with pytest.raises(InvalidInputError, match=message):
        validated(servers=[server])


def test_servers_are_unique_and_at_most_six():
    with pytest.raises(InvalidInputError, match=r"^servers\[1\]\.address: server MPS.example.test is listed twice"):
        validated(servers=[MPS, dict(MPS, address="MPS.example.test")])
    with pytest.raises(InvalidInputError, match=r"^servers: AMT holds at most 6"):
        validated(servers=[dict(MPS, address="mps%d.example.test" % number) for number in range(7)])


@pytest.mark.parametrize("policy, message", [
    ({"trigger": "hourly", "servers": ["a"]}, r"^policies\[0\]\.trigger: must be one of"),
    ({"trigger": "alert", "servers": []}, r"^policies\[0\]\.servers: a policy names 1 or 2"),
    ({"trigger": "alert", "servers": ["a", "b", "c"]}, r"^policies\[0\]\.servers: "),
    ({"trigger": "alert", "servers": ["a", "A"]}, r"^policies\[0\]\.servers: a server is listed twice"),
    ({"trigger": "alert", "servers": ["a"], "interval": 5}, r"^policies\[0\]\.interval: applies only to trigger periodic"),
    ({"trigger": "periodic", "servers": ["a"]}, r"^policies\[0\]\.interval: a periodic policy needs"),
    ({"trigger": "periodic", "servers": ["a"], "interval": 5, "daily_at": "08:30"}, r"^policies\[0\]\.interval: "),
    ({"trigger": "periodic", "servers": ["a"], "interval": 0}, r"^policies\[0\]\.interval: seconds"),
    ({"trigger": "periodic", "servers": ["a"], "daily_at": "24:00"}, r"^policies\[0\]\.daily_at: "),
    ({"trigger": "alert", "servers": ["a"], "tunnel_lifetime": -1}, r"^policies\[0\]\.tunnel_lifetime: "),
])
def test_policy_rules_name_the_option(policy, message):
    with pytest.raises(InvalidInputError, match=message):
        validated(policies=[policy])


def test_the_mps_root_is_one_pem_certificate():
    with pytest.raises(InvalidInputError, match=r"^mps_root_certificate: one PEM certificate"):
        validated(mps_root_certificate="not a certificate")
    with pytest.raises(InvalidInputError, match=r"^mps_root_certificate: the PEM certificate could not be decoded"):
        validated(mps_root_certificate="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


def test_one_policy_per_trigger_and_something_to_do():
    with pytest.raises(InvalidInputError, match=r"^policies\[1\]\.trigger: one policy per trigger"):
        validated(policies=[{"trigger": "alert", "servers": ["a"]}, {"trigger": "alert", "servers": ["b"]}])
    with pytest.raises(InvalidInputError, match=r"^servers: nothing to manage"):
        validated()


def test_periodic_schedule_encoding_round_trips():
    assert cira.periodic_data({"interval": 25, "daily_at": None}) == "AAAAAAAAABk="
    assert cira.periodic_data({"interval": None, "daily_at": "08:30"}) == "AAAAAQAAAAgAAAAe"
    assert cira._periodic_schedule("AAAAAAAAABk=") == (25, None)
    assert cira._periodic_schedule("AAAAAQAAAAgAAAAe") == (None, "08:30")
    assert cira._periodic_schedule("not base64!") == (None, None)


def test_a_server_given_back_without_its_password_changes_nothing():
    want = validated(servers=[{"address": "MPS.example.test", "port": 4433, "cn": None}])
    assert cira.plan(state([device_server()]), want) == []


def test_a_changed_server_is_removed_and_added_with_its_policies_around_it():
    want = validated(servers=[dict(MPS, port=443)])
    changes = cira.plan(state([device_server()], [device_policy()]), want)
    assert [cira.summary(change) for change in changes] == [
        "remove periodic policy (mps.example.test)", "remove MPS mps.example.test:4433", "add MPS mps.example.test:443",
        "add periodic policy (mps.example.test)"]


def test_a_server_that_must_be_added_needs_a_real_password():
    for server in ({"address": "mps.example.test"}, dict(MPS, password=SECRET_MASK)):
        with pytest.raises(InvalidInputError, match=r"^servers\[0\]\.password: server mps.example.test must be added"):
            cira.plan(state(), validated(servers=[server]))


def test_a_server_with_another_username_or_certificate_is_rewritten():
    stored = dict(device_server(), auth=("password", "meshuser"))
    assert cira.plan(state([stored]), validated(servers=[MPS])) == []
    assert [change["action"] for change in cira.plan(state([stored]), validated(servers=[dict(MPS, username="other")]))] == [
        "remove_server", "add_server"]
    certificate = {"address": "mps.example.test", "certificate": "3"}
    assert len(cira.plan(state([stored]), validated(servers=[certificate]))) == 2
    assert cira.plan(state([dict(stored, auth=("certificate", "3"))]), validated(servers=[certificate])) == []
    assert cira.describe(state([stored]))["servers"] == [
        {"address": "mps.example.test", "port": 4433, "cn": None, "username": "meshuser", "password": "********"}]


def test_update_password_always_rewrites_servers_with_a_password():
    want = validated(servers=[MPS], update_password="always")
    assert [change["action"] for change in cira.plan(state([device_server()]), want)] == ["remove_server", "add_server"]


def test_purge_removes_unlisted_servers_after_their_policies():
    want = validated(servers=[MPS], purge=True)
    current = state([device_server(), device_server("old.example.test", handle=1)],
                    [device_policy(servers=("old.example.test",)), device_policy("alert", ("mps.example.test", "old.example.test"))])
    assert [cira.summary(change) for change in cira.plan(current, want)] == [
        "remove alert policy (mps.example.test, old.example.test)", "remove periodic policy (old.example.test)",
        "remove MPS old.example.test:4433", "add alert policy (mps.example.test)"]


def test_policies_given_are_the_only_ones_and_name_known_servers():
    want = validated(policies=[{"trigger": "user_initiated", "servers": ["mps.example.test"]}])
    changes = cira.plan(state([device_server()], [device_policy()]), want)
    assert [cira.summary(change) for change in changes] == [
        "remove periodic policy (mps.example.test)", "add user_initiated policy (mps.example.test)"]
    with pytest.raises(InvalidInputError, match=r"^policies\[0\]\.servers: other.example.test is not among"):
        cira.plan(state([device_server()]), validated(policies=[{"trigger": "alert", "servers": ["other.example.test"]}]))


def test_user_initiated_state_and_diff_masks_written_passwords():
    want = validated(servers=[MPS], user_initiated="bios")
    current = state(user_initiated="bios_and_os")
    changes = cira.plan(current, want)
    assert changes[-1] == {"action": "user_initiated", "state": "bios"}
    after = cira.describe(cira.after_state(current, changes))
    assert after["user_initiated"] == "bios"
    assert after["servers"] == [{"address": "mps.example.test", "port": 4433, "cn": None, "username": "meshuser",
                                 "password": "******** (written)"}]
    assert "P4ssw0rd" not in repr(after)


PERIODIC = {"trigger": "periodic", "servers": ["mps.example.test"], "interval": 25}


def test_mps_type_is_one_of_three_and_external_by_default():
    assert validated(policies=[PERIODIC])["policies"][0]["mps_type"] == "external"
    with pytest.raises(InvalidInputError, match=r"^policies\[0\]\.mps_type: must be one of both, external, internal"):
        validated(policies=[dict(PERIODIC, mps_type="everywhere")])


def test_an_added_policy_of_another_mps_type_is_added_then_retyped():
    want = validated(policies=[dict(PERIODIC, mps_type="internal")])
    current = state([device_server()])
    changes = cira.plan(current, want)
    assert [cira.summary(change) for change in changes] == [
        "add periodic policy (mps.example.test)", "set the periodic policy's MPS mps.example.test to internal"]
    assert cira.describe(cira.after_state(current, changes))["policies"][0]["mps_type"] == "internal"
    assert cira.plan(state([device_server()], [device_policy(mps_type="internal")]), want) == []


def test_a_kept_policy_is_retyped_in_place_and_a_policy_added_again_keeps_its_types():
    servers = [device_server(), device_server("mps2.example.test", handle=1)]
    current = state(servers, [device_policy(servers=("mps.example.test", "mps2.example.test"))])
    want = validated(policies=[dict(PERIODIC, servers=["mps.example.test", "mps2.example.test"], mps_type="both")])
    assert [change["action"] for change in cira.plan(current, want)] == ["mps_type", "mps_type"]
    typed = state(servers, [device_policy(servers=("mps.example.test", "mps2.example.test"), mps_type="internal")])
    changes = cira.plan(typed, validated(servers=[dict(MPS, port=443)]))
    assert [cira.summary(change) for change in changes] == [
        "remove periodic policy (mps.example.test, mps2.example.test)", "remove MPS mps.example.test:4433", "add MPS mps.example.test:443",
        "add periodic policy (mps.example.test, mps2.example.test)", "set the periodic policy's MPS mps.example.test to internal",
        "set the periodic policy's MPS mps2.example.test to internal"]


def test_firmware_that_reports_no_mps_type_is_not_asked_to_set_one():
    current = state([device_server()], [device_policy(untyped=("mps.example.test",))])
    unit = cira.Cira({"policies": [dict(PERIODIC, mps_type="both")]})
    changes = unit.plan(current)
    with pytest.raises(NotPermittedError, match=r"^policies\[0\]\.mps_type: this firmware reports no MpsType"):
        unit.preflight(None, current, changes)
    assert cira.Cira({"policies": [PERIODIC]}).plan(current) == []


class Device:
    """Enumerations and Gets of a device with two servers (a username, a certificate) and a periodic policy naming both."""

    def __init__(self, user_initiated=True, mps_type="2"):
        sap = "AMT_ManagementPresenceRemoteSAP"
        self.servers = [{"CreationClassName": sap, "Name": "MPS %d" % handle, "SystemCreationClassName": "CIM_ComputerSystem",
                         "SystemName": "Intel(r) AMT", "AccessInfo": address, "Port": port, "CN": cn}
                        for handle, address, port, cn in ((0, "mps.example.test", "4433", None), (1, "192.0.2.44", "8443", "mps2"))]
        rule = {"CreationClassName": "AMT_RemoteAccessPolicyRule", "PolicyRuleName": "Periodic", "Trigger": "2", "TunnelLifeTime": "0",
                "ExtendedData": "AAAAAAAAABk="}
        bindings = [{"PolicySet": {"selectors": {"PolicyRuleName": "Periodic"}}, "ManagedElement": {"selectors": {"Name": "MPS %d" % handle}},
                     "OrderOfAccess": str(order), "MpsType": mps_type} for handle, order in ((1, 1), (0, 0))]
        contexts = [{"ElementProvidingContext": {"selectors": {"Name": "MPS 0"}},
                     "ElementInContext": {"resource_uri": "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_MPSUsernamePassword",
                                          "selectors": {"InstanceID": "credential 0"}}},
                    {"ElementProvidingContext": {"selectors": {"Name": "MPS 1"}},
                     "ElementInContext": {"resource_uri": "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_PublicKeyCertificate",
                                          "selectors": {"InstanceID": "Intel(r) AMT Certificate: Handle: 3"}}}]
        self.enumerations = {sap: self.servers, "AMT_RemoteAccessPolicyRule": [rule], "AMT_RemoteAccessPolicyAppliesToMPS": bindings,
                             "AMT_RemoteAccessCredentialContext": contexts,
                             "AMT_MPSUsernamePassword": [{"InstanceID": "credential 0", "RemoteID": "meshuser"}]}
        self.user_initiated = user_initiated
        self.calls = []

    def enumerate(self, class_name):
        self.calls.append(class_name)
        return [dict(item) for item in self.enumerations[class_name]]

    def get(self, class_name, selectors=None):
        self.calls.append(class_name)
        if not self.user_initiated:
            raise DeviceError("absent", class_name=class_name, fault="DestinationUnreachable")
        return {"EnabledState": "32771"}


def test_read_only_unit_reads_everything_in_amt_cira_vocabulary():
    described = cira.describe(cira.Cira().read(Device()))
    assert described == {
        "servers": [{"address": "mps.example.test", "port": 4433, "cn": None, "username": "meshuser", "password": SECRET_MASK},
                    {"address": "192.0.2.44", "port": 8443, "cn": "mps2", "certificate": "3"}],
        "policies": [{"trigger": "periodic", "servers": ["mps.example.test", "192.0.2.44"], "tunnel_lifetime": 0, "interval": 25,
                      "daily_at": None, "mps_type": "both"}],
        "user_initiated": "bios_and_os"}
    # Given back to the module, the description changes nothing.
    device = Device()
    unit = cira.Cira(dict(described, purge=True))
    assert unit.plan(unit.read(device)) == []


def test_read_only_unit_without_the_user_initiated_service_or_mps_type():
    state_read = cira.Cira().read(Device(user_initiated=False, mps_type=None))
    described = cira.describe(state_read)
    assert "user_initiated" not in described and described["policies"][0]["mps_type"] == "external"
    assert state_read["policies"]["periodic"]["untyped"] == ["mps.example.test", "192.0.2.44"]
