"""The audit log's own rules in the device model: what stamps a record, and what clearing leaves."""
import base64
import hashlib

import pytest

from amtsim.model import audit_records as events
from model_support import FakePki, admin, new_device, user


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def call(device, method, inputs=None, caller=None, class_name="AMT_AuditLog"):
    outcome = device.invoke(class_name, method, {}, inputs or {}, caller or admin())
    return outcome.return_value, dict(outcome.outputs)


def add_auditor(device, name="auditor"):
    digest = base64.b64encode(hashlib.md5(f"{name}:{device.digest_realm}:P@ssw0rd!".encode()).digest()).decode()
    assert call(device, "AddUserAclEntryEx", {"DigestUsername": name, "DigestPassword": digest, "AccessPermission": "2",
                                              "Realms": ["20"]}, class_name="AMT_AuthorizationService")[0] == 0
    return user(device, name)


def test_records_carry_the_device_clock_not_the_hosts(pki):
    device = new_device(pki, "ccm")
    device.clock.set_time(1956528000)  # 2032-01-01T00:00:00Z, far from the host's time
    call(device, "ClearLog")
    stamped = device.audit.decoded_records()[-1]["timestamp"]
    assert abs(stamped - 1956528000) <= 2


def test_clearing_leaves_only_the_record_of_who_cleared(pki):
    device = new_device(pki, "acm")
    auditor = add_auditor(device)
    assert len(device.audit.records) > 1
    assert call(device, "ClearLog")[0] == 16, "the admin lost the log to the Auditor"
    assert call(device, "ClearLog", caller=auditor)[0] == 0
    cleared = device.audit.decoded_records()
    assert [(record["app"], record["event"], record["username"]) for record in cleared] == [(*events.LOG_CLEARED, "auditor")]
    code, outputs = call(device, "ReadRecords", {"StartIndex": "1"}, caller=auditor)
    assert (code, outputs["TotalRecordCount"], outputs["RecordsReturned"]) == (0, 1, 1)
