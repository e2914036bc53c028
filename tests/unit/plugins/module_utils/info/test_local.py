# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_info's local reading without a device: what the management engine reports, subsets an account may not read."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.info import local
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import IdentityMismatchError, NotPermittedError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.info.fake_device import FakeClient, captured_instance

UUID = "00112233-4455-6677-8899-aabbccddeeff"
CONNECTION = {"username": "admin", "password": None, "validate_certs": True, "ca_path": None, "cert_fingerprint": None,
              "timeout": 1, "expected_uuid": None}


class Mei:
    """The AMTHI answers read_host() asks for, of a factory device whose firmware reports AMT switched off in the BIOS."""

    def __init__(self, change_enabled=0x80):
        self.change_enabled = change_enabled
        self.calls = []

    def get_change_enabled(self):
        return self.change_enabled

    def get_uuid(self):
        return UUID

    def get_control_mode(self):
        return 0

    def get_provisioning_state(self):
        return 0

    def get_code_versions(self):
        return {"bios_version": "", "versions": {"AMT": "19.0.5", "Build Number": "2010"}}

    def get_local_system_account(self):
        self.calls.append("GetLocalSystemAccount")
        return "$$OsAdmin", "generated"


class LocalSystemDevice(FakeClient):
    """The local system account's view: the provisioning classes, and AccessDenied for everything else."""

    def get(self, class_name, selectors=None):
        if class_name not in self.instances:
            self.calls.append(("get", class_name))
            raise NotPermittedError("%s Get: AccessDenied" % class_name, class_name=class_name)
        return super().get(class_name, selectors)

    def enumerate(self, class_name):
        self.calls.append(("enumerate", class_name))
        raise NotPermittedError("%s Enumerate: AccessDenied" % class_name, class_name=class_name)


def test_subsets_the_account_may_not_read_are_listed_not_fatal():
    client = LocalSystemDevice(instances={
        "AMT_SetupAndConfigurationService": captured_instance("amt/setupandconfiguration/get.xml"),
        "IPS_HostBasedSetupService": captured_instance("ips/hostbasedsetup/get.xml"),
    })
    facts, unreadable = local.gather_readable(client, ["provisioning", "redirection"])
    assert list(facts) == ["provisioning"]
    # The provisioning root hashes are refused to this account; the rest of the subset is still reported.
    assert facts["provisioning"]["certificate_hashes"] is None and facts["provisioning"]["state"] == "post"
    assert unreadable == [{"subset": "redirection", "reason": "the account may not read it: AMT_RedirectionService Get: AccessDenied"}]


def test_amt_disabled_in_the_bios_reads_the_mei_only():
    mei = Mei(change_enabled=0x80)
    engine, facts, unreadable = local.LocalReading(mei, "127.0.0.1", CONNECTION).read(["provisioning"])
    assert engine == {"uuid": UUID, "firmware_version": "19.0.5.2010", "provisioning_state": "pre", "control_mode": "none",
                      "amt_enabled": False, "local_tls_enforced": False}
    assert facts == {} and unreadable == [{"subset": "provisioning", "reason": local.AMT_DISABLED}]
    assert mei.calls == []


def test_another_device_is_refused_before_the_lms():
    with pytest.raises(IdentityMismatchError):
        local.LocalReading(Mei(), "127.0.0.1", dict(CONNECTION, expected_uuid="00000000-0000-0000-0000-000000000000")).read(["firmware"])
