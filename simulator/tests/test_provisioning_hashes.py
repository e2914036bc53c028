"""AMT_ProvisioningCertificateHash lists the roots the ACM activation trusts: the simulator's provisioning root is
among them, and disabling its entry makes the chain it anchors fail."""
from __future__ import annotations

import base64
import hashlib

import pytest
from test_model_rules import _admin_setup, _send_chain

from amtsim.types import Instance
from model_support import FakePki, admin, der, new_device

CHAIN_CERT_VERIFY_FAILED = 4


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def _root_entry(device, pki):
    wanted = base64.b64encode(hashlib.sha256(der(pki.root)).digest()).decode()
    entries = [entry for entry in device.enumerate("AMT_ProvisioningCertificateHash", admin()) if entry.props["HashData"] == wanted]
    assert len(entries) == 1
    return entries[0]


def test_listed_root_hash_is_the_one_activation_checks(pki):
    device = new_device(pki, "factory")
    entry = _root_entry(device, pki)
    assert entry.props["Enabled"] is True and entry.props["HashType"] == 2
    selectors = {"InstanceID": entry.props["InstanceID"]}
    device.put("AMT_ProvisioningCertificateHash", selectors, Instance("AMT_ProvisioningCertificateHash", {"Enabled": "false"}), admin())
    assert _root_entry(device, pki).props["Enabled"] is False
    assert _send_chain(device, pki, pki.leaf) == CHAIN_CERT_VERIFY_FAILED

    device.put("AMT_ProvisioningCertificateHash", selectors, Instance("AMT_ProvisioningCertificateHash", {"Enabled": "true"}), admin())
    assert _send_chain(device, pki, pki.leaf) == 0
    assert _admin_setup(device, pki) == 0 and device.control_mode == "acm"
