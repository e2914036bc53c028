"""AMTHI commands from the host over MEI (the contract of ``amtsim.mei``); the host is a local initiator."""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from amtsim.model import certificates
from amtsim.model.accounts import LOCAL_SYSTEM_ACCOUNT
from amtsim.model.codes import AMT_STATUS_INTERNAL_ERROR, AMT_STATUS_INVALID_AMT_MODE, AMT_STATUS_INVALID_PARAMETER, AMT_STATUS_SUCCESS
from amtsim.model.provisioning import MODE_NUMBER, PRE

HASH_SHA256 = 2
CHANGE_TRANSITION_ALLOWED, CHANGE_AMT_ENABLED, CHANGE_TLS_ENFORCED, CHANGE_NEW_INTERFACE = 0x01, 0x02, 0x40, 0x80
BIOS_VERSION = "AMTSIM.0001"


def _ok(**values) -> dict:
    return dict(values, status=AMT_STATUS_SUCCESS)


def _code_versions(device) -> dict:
    return _ok(bios_version=BIOS_VERSION, versions=list(device.firmware.software_identities()))


def _change_enabled(device) -> dict:
    value = CHANGE_TRANSITION_ALLOWED | CHANGE_AMT_ENABLED
    if device.firmware.local_tls_enforced():
        value |= CHANGE_TLS_ENFORCED | CHANGE_NEW_INTERFACE
    return _ok(change_enabled=value)


def _start_configuration_hbased(device, args: dict) -> dict:
    if args.get("hash_algorithm", HASH_SHA256) != HASH_SHA256:
        return {"status": AMT_STATUS_INVALID_PARAMETER}
    status = device.provisioning.start_configuration_hbased(str(args.get("server_cert_hash", "")),
                                                            list(args.get("dns_suffixes") or []))
    if status != AMT_STATUS_SUCCESS:
        return {"status": status}
    leaf = x509.load_pem_x509_certificates(device.tls.identity()[0])[0]
    return _ok(hash_algorithm=HASH_SHA256, amt_cert_hash=certificates.sha256_hex(leaf.public_bytes(serialization.Encoding.DER)))


def _unprovision(device, args: dict) -> dict:
    # CCM can be left from the host without the admin password; ACM cannot (docs/amt-reference.md 3.1). Firmware refuses
    # ACM with INVALID_AMT_MODE (rpc-go pkg/pthi Unprovision, its test TestUnprovisionFirmwareRejects).
    if device.provisioning.provisioning_state == PRE or device.provisioning.control_mode == "acm":
        return {"status": AMT_STATUS_INVALID_AMT_MODE}
    device.provisioning.unprovision(None, partial=False)
    return _ok(state=0)


def _hash_entry(device, args: dict) -> dict:
    entry = next((entry for entry in device.provisioning.hashes if entry["handle"] == args.get("handle")), None)
    if entry is None:
        return {"status": AMT_STATUS_INVALID_PARAMETER}
    return _ok(is_default=entry["default"], is_active=entry["enabled"], hash_algorithm=HASH_SHA256,
               hash=entry["hash"], name=entry["name"])


_COMMANDS = {
    "GetLocalSystemAccount": lambda device, args: _ok(username=LOCAL_SYSTEM_ACCOUNT,
                                                      password=device.accounts.local_system_password),
    "GetControlMode": lambda device, args: _ok(control_mode=MODE_NUMBER[device.control_mode]),
    "GetProvisioningState": lambda device, args: _ok(provisioning_state=device.provisioning.provisioning_state),
    "GetUUID": lambda device, args: _ok(uuid=device.uuid),
    "GetCodeVersions": lambda device, args: _code_versions(device),
    "GetDNSSuffix": lambda device, args: _ok(dns_suffix=device.provisioning.dns_suffix),
    "GetChangeEnabled": lambda device, args: _change_enabled(device),
    "StartConfigurationHBased": _start_configuration_hbased,
    "StopConfiguration": lambda device, args: {"status": device.provisioning.stop_configuration()},
    "Unprovision": _unprovision,
    "EnumerateHashHandles": lambda device, args: _ok(handles=[entry["handle"] for entry in device.provisioning.hashes]),
    "GetCertificateHashEntry": _hash_entry,
}


def handle(device, command: str, args: dict) -> dict:
    handler = _COMMANDS.get(command)
    if handler is None:
        return {"status": AMT_STATUS_INTERNAL_ERROR}
    return handler(device, args or {})
