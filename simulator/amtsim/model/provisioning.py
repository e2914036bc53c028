"""Control mode and provisioning: AMT_SetupAndConfigurationService, IPS_HostBasedSetupService,
AMT_ProvisioningCertificateHash and the host-based TLS activation of AMT 19 (docs/amt-reference.md 3)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid

from amtsim.model import access
from amtsim.model import audit_records as events
from amtsim.model import certificates
from amtsim.model.codes import (CHAIN_CERT_VERIFY_FAILED, CHAIN_INVALID_PARAM, CHAIN_INVALID_STATE, CHAIN_LENGTH_EXCEEDED,
                                CHAIN_SUCCESS, DATA_MISSING, HBS_AUTH_FAILED, HBS_INVALID_PARAM, HBS_INVALID_STATE,
                                HBS_METHOD_DISABLED, HBS_SUCCESS, INTERNAL_ERROR, INVALID_PARAMETER, INVALID_PASSWORD, NOT_PERMITTED,
                                SUCCESS)
from amtsim.model.component import Component, bool_input, int_input, prop_bool, result, text_input
from amtsim.types import Instance

PRE, IN, POST = 0, 1, 2
MODE_NUMBER = {"none": 0, "ccm": 1, "acm": 2}
PROVISIONING_MODE = {"ccm": 4, "acm": 1}
DIGEST_MD5_A1 = 2
RSA_SHA256 = 2
NONCE_BYTES = 20
# Extended data of "Provisioning Completed" (16/1): 5 = host-based ACM (docs/amt-reference.md 6.3); 4 for host-based CCM is
# our choice (UNCONFIRMED).
COMPLETED_HOST_BASED_CCM = 4
COMPLETED_HOST_BASED_ACM = 5

# Factory hash list: names of the vendor roots a real image ships; their hash values here are placeholders
# (sha256 of the name), plus the simulator's provisioning root, which must be trusted by every device.
_FACTORY_ROOT_NAMES = ("VeriSign Class 3 Primary CA-G5", "Go Daddy Class 2 CA", "Entrust Root CA - G2",
                       "DigiCert Global Root CA")


def _hex_ha1(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    return text if len(text) == 32 and all(char in "0123456789abcdef" for char in text) else None


def _b64(value: str | None) -> bytes | None:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return None


def mebx_password_is_strong(password: str) -> bool:
    """8-32 printable ASCII without ``: , "``; a digit, a lower-case, an upper-case and a special character
    (``_`` and space do not count as special) (docs/amt-reference.md 4.1)."""
    if not 8 <= len(password) <= 32 or any(not 32 <= ord(char) <= 126 or char in ':,"' for char in password):
        return False
    return (any(char.isdigit() for char in password) and any(char.islower() for char in password)
            and any(char.isupper() for char in password)
            and any(not char.isalnum() and char not in "_ " for char in password))


class Provisioning(Component):
    INSTANCES = {
        "AMT_SetupAndConfigurationService": "_setup_service_instances",
        "IPS_HostBasedSetupService": "_host_based_instances",
        "AMT_ProvisioningCertificateHash": "_hash_instances",
    }
    PUTS = {"AMT_ProvisioningCertificateHash": "_put_hash"}
    METHODS = {
        ("AMT_SetupAndConfigurationService", "CommitChanges"): "_commit_changes",
        ("AMT_SetupAndConfigurationService", "Unprovision"): "_unprovision",
        ("AMT_SetupAndConfigurationService", "PartialUnprovision"): "_partial_unprovision",
        ("AMT_SetupAndConfigurationService", "SetMEBxPassword"): "_set_mebx_password",
        ("AMT_SetupAndConfigurationService", "GetUuid"): "_get_uuid",
        ("IPS_HostBasedSetupService", "Setup"): "_setup",
        ("IPS_HostBasedSetupService", "AdminSetup"): "_admin_setup",
        ("IPS_HostBasedSetupService", "AddNextCertInChain"): "_add_next_cert_in_chain",
        ("IPS_HostBasedSetupService", "UpgradeClientToAdmin"): "_upgrade_client_to_admin",
    }
    STATE_FIELDS = ("control_mode", "provisioning_state", "pending_mode", "mebx_password_sha256", "dns_suffix",
                    "configuration_nonce", "chain", "chain_status", "leaf_der", "hbased_cert_hash", "hashes")

    def __init__(self, device):
        # Injected by the fault plan (acm-lands-in-ccm), never persisted: a property of the simulated firmware.
        self.acm_commit_lands_in_ccm = False
        super().__init__(device)

    def reset(self) -> None:
        self.control_mode = "none"
        self.provisioning_state = PRE
        self.pending_mode = None  # the mode an "In" state becomes at CommitChanges
        self.mebx_password_sha256 = getattr(self, "mebx_password_sha256", None)  # the MEBx password survives
        self.dns_suffix = getattr(self, "dns_suffix", "")
        self.configuration_nonce = base64.b64encode(os.urandom(NONCE_BYTES)).decode()
        self.chain = []
        self.chain_status = 0
        self.leaf_der = None
        self.hbased_cert_hash = None
        self.hashes = self._factory_hashes()

    def _factory_hashes(self) -> list:
        entries = [{"name": name, "hash": hashlib.sha256(name.encode()).hexdigest(), "default": True, "enabled": True}
                   for name in _FACTORY_ROOT_NAMES]
        entries.append({"name": "amtsim provisioning root CA", "hash": self.device.pki.provisioning_root_hash_sha256,
                        "default": True, "enabled": True})
        return [dict(entry, handle=handle) for handle, entry in enumerate(entries)]

    # --- queries used by the rest of the device -----------------------------------------------------------
    def mebx_is_default(self) -> bool:
        return self.mebx_password_sha256 is None

    def trusted_root_hashes(self) -> set:
        return {entry["hash"] for entry in self.hashes if entry["enabled"]}

    def hbased_pending(self) -> bool:
        return self.hbased_cert_hash is not None

    def hbased_admin_caller(self, caller) -> bool:
        """AMT 19 host-based ACM: the local mutual-TLS session whose client certificate is the pinned one."""
        return (self.hbased_pending() and caller.interface == "local" and caller.tls
                and caller.client_cert_der is not None
                and certificates.sha256_hex(caller.client_cert_der) == self.hbased_cert_hash)

    def _complete(self, mode: str, caller, completed_extended: int) -> None:
        self.control_mode = mode
        self.provisioning_state = POST
        self.pending_mode = None
        self.hbased_cert_hash = None
        self.chain, self.chain_status = [], 0
        self.configuration_nonce = base64.b64encode(os.urandom(NONCE_BYTES)).decode()
        self.changed()
        self.device.audit.log(events.PROVISIONING_COMPLETED, caller, bytes([completed_extended]))
        self.device.effect("listeners")
        self.device.effect("restart", "activation")

    # --- instances ----------------------------------------------------------------------------------------
    def _setup_service_instances(self, caller) -> list:
        return [Instance("AMT_SetupAndConfigurationService", {
            "CreationClassName": "AMT_SetupAndConfigurationService",
            "ElementName": "Intel(r) AMT Setup and Configuration Service",
            "EnabledState": 5,
            "Name": "Intel(r) AMT Setup and Configuration Service",
            "PasswordModel": 1,
            "ProvisioningMode": PROVISIONING_MODE.get(self.control_mode if self.provisioning_state == POST else "", 1),
            "ProvisioningServerOTP": base64.b64encode(bytes(32)).decode(),
            "ProvisioningState": self.provisioning_state,
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
            "ZeroTouchConfigurationEnabled": True,
        })]

    def _host_based_instances(self, caller) -> list:
        return [Instance("IPS_HostBasedSetupService", {
            "AllowedControlModes": [2, 1],
            "CertChainStatus": self.chain_status,
            "ConfigurationNonce": self.configuration_nonce,
            "CreationClassName": "IPS_HostBasedSetupService",
            "CurrentControlMode": MODE_NUMBER[self.control_mode],
            "ElementName": "Intel(r) AMT Host Based Setup Service",
            "Name": "Intel(r) AMT Host Based Setup Service",
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _hash_instances(self, caller) -> list:
        # HashType numbering follows AMTHI (2 = SHA-256); the WS-Man enumeration is UNCONFIRMED.
        return [Instance("AMT_ProvisioningCertificateHash", {
            "ElementName": entry["name"],
            "Enabled": entry["enabled"],
            "HashData": base64.b64encode(bytes.fromhex(entry["hash"])).decode(),
            "HashType": 2,
            "InstanceID": f"Intel(r) AMT: Certificate Hash {entry['handle']}",
            "IsDefault": entry["default"],
        }) for entry in self.hashes]

    def _put_hash(self, current, new, caller) -> None:
        # Whether firmware accepts this Put is UNCONFIRMED (docs/hardening-controls.md 5); we allow toggling Enabled only.
        handle = int(current.props["InstanceID"].rsplit(" ", 1)[1])
        entry = next(entry for entry in self.hashes if entry["handle"] == handle)
        entry["enabled"] = prop_bool(new, "Enabled", entry["enabled"])
        self.changed()

    # --- AMT_SetupAndConfigurationService -----------------------------------------------------------------
    def _admin_or_hbased(self, caller) -> bool:
        return access.PT_ADMINISTRATION in caller.realms or self.hbased_admin_caller(caller)

    def _commit_changes(self, instance, inputs, caller):
        if not self._admin_or_hbased(caller):
            return result(NOT_PERMITTED)
        if self.provisioning_state == IN:
            if self.device.accounts.admin_ha1 is None:
                return result(DATA_MISSING)
            if self.pending_mode == "acm" and self.mebx_is_default():
                return result(DATA_MISSING)
            mode = self.pending_mode
            if mode == "acm" and self.hbased_pending() and self.acm_commit_lands_in_ccm:
                return self._acm_commit_lands_in_ccm(caller)
            self._complete(mode, caller, COMPLETED_HOST_BASED_ACM if mode == "acm" else COMPLETED_HOST_BASED_CCM)
        return result(self.device.tls.commit(caller))

    def _acm_commit_lands_in_ccm(self, caller):
        """The ``acm-lands-in-ccm`` fault: the ACM attempt fails but the device is left post-provisioned in CCM.

        Reported by DMT users: "On Intel AMT versions 19 and above, if an ACM activation attempt fails, the device remains
        in CCM" (device-management-toolkit/rps issue #2177; RPS then added an Unprovision after a failed ACM phase,
        commit bdda530e "deactivates when shbc acm fails"). rpc-go's local path meets the same half-done activations:
        its commitActivation requires post-provisioning besides a control mode before trusting a commit, and its
        deactivate falls back to HECI for devices stuck mid-activation (rpc-go issues #1461 and #1211, PR #1463). Which
        step fails and what CommitChanges answers is not reported; we answer INTERNAL_ERROR (UNCONFIRMED). The admin
        password set with SetAdminAclEntryEx stays, so the CCM device accepts it.
        """
        self._complete("ccm", caller, COMPLETED_HOST_BASED_CCM)
        return result(INTERNAL_ERROR)

    def _unprovision_allowed(self, caller) -> int:
        if access.PT_ADMINISTRATION not in caller.realms:
            return NOT_PERMITTED
        if self.provisioning_state == PRE:
            return NOT_PERMITTED
        if (self.control_mode == "acm" and self.device.firmware.auditor_can_block_unprovision()
                and self.device.accounts.auditor_exists() and not self.device.audit.unprovisioning_released()):
            return NOT_PERMITTED
        return SUCCESS

    def _unprovision(self, instance, inputs, caller):
        code = self._unprovision_allowed(caller)
        if code == SUCCESS and int_input(inputs, "ProvisioningMode", 1) not in (0, 1):
            code = INVALID_PARAMETER
        if code == SUCCESS:
            self.unprovision(caller, partial=False)
        return result(code)

    def _partial_unprovision(self, instance, inputs, caller):
        code = self._unprovision_allowed(caller)
        if code == SUCCESS:
            self.unprovision(caller, partial=True)
        return result(code)

    def unprovision(self, caller, partial: bool) -> None:
        """Back to the "Pre" state; ``caller`` None = the host over MEI."""
        if caller is None:
            initiator = events.UNPROVISION_BY_LOCAL_MEI
        else:
            initiator = events.UNPROVISION_BY_LOCAL_WSMAN if caller.interface == "local" else events.UNPROVISION_BY_REMOTE_WSMAN
        self.device.audit.log(events.UNPROVISIONING_STARTED, caller, bytes([initiator]))
        keep_suffix = self.dns_suffix if self.device.firmware.dns_suffix_survives_unprovision() else ""
        self.device.factory_reset(keep_admin=partial)
        self.dns_suffix = keep_suffix
        self.changed()
        self.device.effect("listeners")
        self.device.effect("restart", "unprovision")

    def _set_mebx_password(self, instance, inputs, caller):
        if not self._admin_or_hbased(caller) or self.control_mode == "ccm":
            return result(NOT_PERMITTED)
        password = text_input(inputs, "Password") or ""
        if not mebx_password_is_strong(password):
            return result(INVALID_PASSWORD)
        self.set_mebx_password(password)
        return result(SUCCESS)

    def set_mebx_password(self, password: str) -> None:
        self.mebx_password_sha256 = hashlib.sha256(password.encode()).hexdigest()
        self.changed()

    def _get_uuid(self, instance, inputs, caller):
        return result(SUCCESS, ("UUID", base64.b64encode(uuid.UUID(self.device.uuid).bytes_le).decode()))

    # --- IPS_HostBasedSetupService ------------------------------------------------------------------------
    def _local_pre_check(self, caller) -> int:
        if caller.interface != "local":
            return HBS_METHOD_DISABLED
        if self.provisioning_state != PRE:
            return HBS_INVALID_STATE
        return HBS_SUCCESS

    def _setup(self, instance, inputs, caller):
        code = self._local_pre_check(caller)
        if code != HBS_SUCCESS:
            return result(code)
        ha1 = _hex_ha1(text_input(inputs, "NetworkAdminPassword"))
        if int_input(inputs, "NetAdminPassEncryptionType") != DIGEST_MD5_A1 or ha1 is None:
            return result(HBS_INVALID_PARAM)
        self.device.audit.log(events.PROVISIONING_STARTED, caller)
        self.device.accounts.set_admin_ha1("admin", ha1)
        if self.device.firmware.local_tls_enforced():
            # AMT 19+: the admin finishes CCM activation with CommitChanges (docs/amt-reference.md 3.2.1).
            self.provisioning_state, self.pending_mode = IN, "ccm"
            self.changed()
        else:
            self._complete("ccm", caller, COMPLETED_HOST_BASED_CCM)
        return result(HBS_SUCCESS)

    def _signed_nonce_ok(self, inputs) -> int:
        mc_nonce = _b64(text_input(inputs, "McNonce"))
        signature = _b64(text_input(inputs, "DigitalSignature"))
        if (mc_nonce is None or len(mc_nonce) != NONCE_BYTES or not signature
                or int_input(inputs, "SigningAlgorithm") != RSA_SHA256):
            return HBS_INVALID_PARAM
        if self.chain_status != 2 or self.leaf_der is None:
            return HBS_INVALID_STATE
        configuration_nonce = base64.b64decode(self.configuration_nonce)
        if not certificates.verify_nonce_signature(base64.b64decode(self.leaf_der), configuration_nonce, mc_nonce, signature):
            return HBS_AUTH_FAILED
        return HBS_SUCCESS

    def _admin_setup(self, instance, inputs, caller):
        if self.provisioning_state == POST:
            self.device.effect("hang", "activation")
            return result(HBS_INVALID_STATE)
        code = self._local_pre_check(caller)
        if code == HBS_SUCCESS and self.device.firmware.local_tls_enforced():
            code = HBS_INVALID_STATE  # AMT 19+ activates ACM through StartConfigurationHBased instead
        if code != HBS_SUCCESS:
            return result(code)
        ha1 = _hex_ha1(text_input(inputs, "NetworkAdminPassword"))
        if int_input(inputs, "NetAdminPassEncryptionType") != DIGEST_MD5_A1 or ha1 is None:
            return result(HBS_INVALID_PARAM)
        code = self._signed_nonce_ok(inputs)
        if code != HBS_SUCCESS:
            return result(code)
        self.device.audit.log(events.PROVISIONING_STARTED, caller)
        self.device.accounts.set_admin_ha1("admin", ha1)
        self._complete("acm", caller, COMPLETED_HOST_BASED_ACM)
        return result(HBS_SUCCESS)

    def _upgrade_client_to_admin(self, instance, inputs, caller):
        if access.PT_ADMINISTRATION not in caller.realms:
            return result(HBS_AUTH_FAILED)
        if self.control_mode != "ccm":
            return result(HBS_INVALID_STATE)
        code = self._signed_nonce_ok(inputs)
        if code != HBS_SUCCESS:
            return result(code)
        self.device.audit.log(events.UPGRADE_CLIENT_TO_ADMIN, caller)
        self._complete("acm", caller, COMPLETED_HOST_BASED_ACM)
        return result(HBS_SUCCESS)

    def _add_next_cert_in_chain(self, instance, inputs, caller):
        if self.control_mode == "acm" or self.provisioning_state == IN:
            return result(CHAIN_INVALID_STATE)
        der = _b64(text_input(inputs, "NextCertificate"))
        is_leaf = bool_input(inputs, "IsLeafCertificate", False)
        is_root = bool_input(inputs, "IsRootCertificate", False)
        if not der:
            return result(CHAIN_INVALID_PARAM)
        if is_leaf:
            self.chain, self.leaf_der = [], None
        elif not self.chain:
            return result(CHAIN_INVALID_PARAM)
        if len(self.chain) >= certificates.MAX_CHAIN_LENGTH:
            self.chain, self.chain_status = [], 0
            return result(CHAIN_LENGTH_EXCEEDED)
        self.chain.append(base64.b64encode(der).decode())
        self.chain_status = 1
        self.changed()
        if not is_root:
            return result(CHAIN_SUCCESS)
        chain_der = [base64.b64decode(item) for item in self.chain]
        self.chain = []
        try:
            certificates.verify_chain(chain_der, self.trusted_root_hashes(), self.dns_suffix)
        except certificates.ChainError:
            self.chain_status = 0
            return result(CHAIN_CERT_VERIFY_FAILED)
        self.leaf_der = base64.b64encode(chain_der[0]).decode()
        self.chain_status = 2
        return result(CHAIN_SUCCESS)

    # --- AMT 19 host-based activation over MEI ------------------------------------------------------------
    def start_configuration_hbased(self, cert_hash_hex: str, dns_suffixes: list) -> int:
        if self.provisioning_state != PRE:
            return 3  # AMT_STATUS_INVALID_AMT_MODE
        if len(cert_hash_hex) != 64 or any(char not in "0123456789abcdef" for char in cert_hash_hex.lower()):
            return 36  # AMT_STATUS_INVALID_PARAMETER: only SHA-256 is modelled
        if dns_suffixes:
            self.dns_suffix = dns_suffixes[0]
        self.hbased_cert_hash = cert_hash_hex.lower()
        self.provisioning_state, self.pending_mode = IN, "acm"
        self.changed()
        self.device.effect("listeners")
        return 0

    def stop_configuration(self) -> int:
        if self.provisioning_state != IN:
            return 3
        if self.pending_mode == "ccm":
            self.device.accounts.reset()
        self.provisioning_state, self.pending_mode, self.hbased_cert_hash = PRE, None, None
        self.changed()
        self.device.effect("listeners")
        return 0
