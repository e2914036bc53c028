"""AMT's account rules in the device model: partial updates and the Auditor's protection from the admin."""
import pytest

from model_support import FakePki, new_device
from test_model_rules import add_user, call, digest_b64


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def update(device, handle, caller=None, **inputs):
    return call(device, "AMT_AuthorizationService", "UpdateUserAclEntryEx", dict(inputs, Handle=str(handle)), caller=caller)[0]


def entry(device, handle):
    return call(device, "AMT_AuthorizationService", "GetUserAclEntryEx", {"Handle": str(handle)})[1]


def test_an_update_keeps_what_it_leaves_out(pki):
    device = new_device(pki, "ccm")
    handle = add_user(device, "operator", [2, 5], permission="1")[1]["Handle"]
    password_hash = device.ha1("operator", "remote")
    assert update(device, handle, DigestUsername="operator", Realms=["2"]) == 0
    assert entry(device, handle)["Realms"] == [2] and entry(device, handle)["AccessPermission"] == 1
    assert device.ha1("operator", "remote") == password_hash
    assert update(device, handle, DigestUsername="operator", AccessPermission="2") == 0
    assert entry(device, handle)["Realms"] == [2] and device.ha1("operator", "local") == password_hash
    assert update(device, handle, DigestUsername="operator", DigestPassword=digest_b64(device, "operator", "N3w!secret")) == 0
    assert device.ha1("operator", "remote") != password_hash


def test_a_new_name_needs_a_new_password_hash(pki):
    device = new_device(pki, "ccm")
    handle = add_user(device, "operator", [2])[1]["Handle"]
    assert update(device, handle, DigestUsername="renamed") == 2054
    assert update(device, handle, DigestUsername="renamed", DigestPassword=digest_b64(device, "renamed", "N3w!secret")) == 0
    assert entry(device, handle)["DigestUsername"] == "renamed"


def test_the_admin_can_neither_remove_the_auditor_nor_take_its_realm(pki):
    device = new_device(pki, "acm")
    handle = add_user(device, "auditor", [20])[1]["Handle"]
    assert call(device, "AMT_AuthorizationService", "RemoveUserAclEntry", {"Handle": str(handle)})[0] == 16
    assert update(device, handle, DigestUsername="auditor", Realms=["2"]) == 16
    assert update(device, handle, DigestUsername="auditor", AccessPermission="1") == 0
    assert entry(device, handle)["Realms"] == [20]
    other = add_user(device, "operator", [2])[1]["Handle"]
    assert call(device, "AMT_AuthorizationService", "RemoveUserAclEntry", {"Handle": str(other)})[0] == 0
