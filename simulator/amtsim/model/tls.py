"""TLS: AMT_TLSSettingData, AMT_TLSCredentialContext, the key and certificate store and
AMT_PublicKeyManagementService (docs/amt-reference.md 7.4)."""
from __future__ import annotations

import base64
import binascii
import copy

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from amtsim.model import audit_records as events
from amtsim.model.codes import (DATA_MISSING, DUPLICATE, INVALID_CERT, INVALID_KEY, INVALID_PARAMETER, MAX_LIMIT_REACHED,
                                SUCCESS, UNSUPPORTED)
from amtsim.model.component import Component, epr_input, int_input, prop_bool, prop_list, result, text_input
from amtsim.types import EPR, Instance, WsmanFault, class_uri

REMOTE_ID = "Intel(r) AMT 802.3 TLS Settings"
LOCAL_ID = "Intel(r) AMT LMS TLS Settings"
CERT_ID = "Intel(r) AMT Certificate: Handle: "
KEY_ID = "Intel(r) AMT Key: Handle: "
COLLECTION_NAME = "TLSProtocolEndpoint Instances Collection"
# Our firmware's store sizes (UNCONFIRMED); a full store answers MAX_LIMIT_REACHED.
MAX_KEYS = 10
MAX_CERTIFICATES = 16
RSA_ALGORITHM = 0
SUPPORTED_KEY_LENGTHS = (2048, 3072)
NO_AUTH, SERVER_AUTH, MUTUAL_AUTH = 0, 1, 2


def _b64_der(value: str | None) -> bytes | None:
    try:
        raw = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw or None


def _handle_of(instance_id, prefix: str) -> str | None:
    if isinstance(instance_id, str) and instance_id.startswith(prefix):
        return instance_id[len(prefix):]
    return None


def certificate_epr(handle: str) -> EPR:
    return EPR(class_uri("AMT_PublicKeyCertificate"), (("InstanceID", CERT_ID + handle),))


def certificate_handle(reference) -> str | None:
    """The store handle an AMT_PublicKeyCertificate reference (an EPR, or its InstanceID) names, else None."""
    instance_id = reference.selector("InstanceID") if isinstance(reference, EPR) else reference
    return _handle_of(instance_id, CERT_ID)


def _in_use() -> WsmanFault:
    # How firmware refuses deleting an object in use is UNCONFIRMED; we answer AccessDenied (NOT_PERMITTED).
    return WsmanFault("AccessDenied", "The object is in use.")


class Tls(Component):
    INSTANCES = {
        "AMT_TLSSettingData": "_setting_instances",
        "AMT_TLSCredentialContext": "_context_instances",
        "AMT_TLSProtocolEndpointCollection": "_collection_instances",
        "AMT_PublicKeyManagementService": "_service_instances",
        "AMT_PublicKeyCertificate": "_certificate_instances",
        "AMT_PublicPrivateKeyPair": "_key_instances",
    }
    PUTS = {"AMT_TLSSettingData": "_put_setting", "AMT_TLSCredentialContext": "_put_context"}
    CREATES = {"AMT_TLSCredentialContext": "_create_context"}
    DELETES = {"AMT_TLSCredentialContext": "_delete_context", "AMT_PublicKeyCertificate": "_delete_certificate",
               "AMT_PublicPrivateKeyPair": "_delete_key"}
    METHODS = {
        ("AMT_PublicKeyManagementService", "GenerateKeyPair"): "_generate_key_pair",
        ("AMT_PublicKeyManagementService", "GeneratePKCS10RequestEx"): "_generate_pkcs10",
        ("AMT_PublicKeyManagementService", "AddCertificate"): "_add_certificate",
        ("AMT_PublicKeyManagementService", "AddTrustedRootCertificate"): "_add_trusted_root",
        ("AMT_PublicKeyManagementService", "AddKey"): "_add_key",
    }
    STATE_FIELDS = ("pending", "active", "keys", "certificates", "context", "next_key", "next_certificate", "seen_post")

    def reset(self) -> None:
        firmware = self.device.firmware
        local_tls = firmware.local_tls_enforced()
        self.active = {
            "remote": {"enabled": False, "mutual": False, "accept_non_secure": False, "trusted_cn": []},
            "local": {"enabled": local_tls, "mutual": False, "accept_non_secure": not local_tls, "trusted_cn": []},
        }
        self.pending = copy.deepcopy(self.active)
        self.keys = {}  # handle -> {"pem": PKCS#8 PEM, or None for the key the simulator's PKI handed over}
        self.certificates = {}  # handle -> {"der": base64, or None for the PKI leaf; "root": bool; "key": handle}
        self.context = None  # certificate handle of the TLS credential context
        self.next_key = 0
        self.next_certificate = 0
        # Whether the device was in post-provisioning when TLS last looked (see _firmware_default).
        self.seen_post = self.device.provisioning.provisioning_state == 2

    def configure_from_pki(self) -> None:
        """Profile setup of a provisioned device: the PKI's server certificate in use on the remote interface."""
        key, certificate = str(self.next_key), str(self.next_certificate)
        self.keys[key] = {"pem": None}
        self.certificates[certificate] = {"der": None, "root": False, "key": key}
        self.context = certificate
        self.next_key, self.next_certificate = self.next_key + 1, self.next_certificate + 1
        self.active["remote"].update(enabled=True, accept_non_secure=not self.device.firmware.non_secure_remote_removed())
        self.pending = copy.deepcopy(self.active)
        self.changed()

    def _firmware_default(self) -> None:
        """CSME 16.1 and later: a device that enters post-provisioning with no TLS certificate of its own makes the
        firmware's certificate the remote interface's TLS credential, and TLS is then on there for good (Intel AMT SDK,
        "Intel AMT and Security Considerations"; GWM's AMT_TLSSettingData comment: Enabled=false on the remote instance
        fails). Real firmware uses a self-signed certificate; ours is the PKI's, as for the provisioned profiles.
        Provisioning completes in another component, so the transition is noticed here, before TLS is read or served."""
        post = self.device.provisioning.provisioning_state == 2
        if post == self.seen_post:
            return
        self.seen_post = post
        self.changed()
        if post and self.context is None and self.device.firmware.non_secure_remote_removed():
            self.configure_from_pki()

    # --- material -----------------------------------------------------------------------------------------
    def _key_pem(self, handle: str) -> bytes:
        pem = self.keys[handle]["pem"]
        return pem.encode() if pem is not None else self.device.pki_identity()[1]

    def _certificate_der(self, handle: str) -> bytes:
        der = self.certificates[handle]["der"]
        if der is not None:
            return base64.b64decode(der)
        leaf = x509.load_pem_x509_certificates(self.device.pki_identity()[0])[0]
        return leaf.public_bytes(serialization.Encoding.DER)

    def identity(self) -> tuple:
        """(certificate chain PEM, key PEM) served on TLS: the credential context's, else the PKI's."""
        self._firmware_default()
        if self.context is None or self.certificates[self.context]["der"] is None:
            return self.device.pki_identity()
        certificate = self.certificates[self.context]
        leaf = x509.load_der_x509_certificate(base64.b64decode(certificate["der"]))
        return leaf.public_bytes(serialization.Encoding.PEM), self._key_pem(certificate["key"])

    def trusted_root_pems(self) -> list:
        return [x509.load_der_x509_certificate(base64.b64decode(entry["der"])).public_bytes(serialization.Encoding.PEM)
                for entry in self.certificates.values() if entry["root"]]

    def uses_certificate(self, handle: str) -> bool:
        return self.context == handle

    def listeners(self) -> dict:
        self._firmware_default()
        firmware = self.device.firmware
        provisioned = self.device.provisioning.provisioning_state == 2
        remote, local = self.active["remote"], self.active["local"]
        remote_tls = provisioned and (remote["enabled"] or firmware.non_secure_remote_removed())
        return {
            "remote": {
                "http": provisioned and not firmware.non_secure_remote_removed()
                and (not remote["enabled"] or remote["accept_non_secure"]),
                "tls": remote_tls,
                "mutual": remote_tls and remote["enabled"] and remote["mutual"],
            },
            "local": {
                "http": not firmware.local_tls_enforced() and (not local["enabled"] or local["accept_non_secure"]),
                "tls": firmware.local_tls_enforced() or local["enabled"],
                "mutual": self.device.provisioning.hbased_pending(),
            },
        }

    # --- AMT_TLSSettingData -------------------------------------------------------------------------------
    def _setting_instance(self, instance_id: str, settings: dict) -> Instance:
        props = {
            "AcceptNonSecureConnections": settings["accept_non_secure"],
            "ElementName": instance_id,
            "Enabled": settings["enabled"],
            "InstanceID": instance_id,
            "MutualAuthentication": settings["mutual"],
            "TrustedCN": list(settings["trusted_cn"]) or None,
        }
        if self.device.firmware.non_secure_remote_removed():
            remote = instance_id == REMOTE_ID
            props["NonSecureConnectionsSupported"] = not remote and not self.device.firmware.local_tls_enforced()
        return Instance("AMT_TLSSettingData", props)

    def _setting_instances(self, caller) -> list:
        self._firmware_default()
        return [self._setting_instance(REMOTE_ID, self.pending["remote"]),
                self._setting_instance(LOCAL_ID, self.pending["local"])]

    def _put_setting(self, current, new, caller) -> None:
        interface = "remote" if current.props["InstanceID"] == REMOTE_ID else "local"
        settings = dict(self.pending[interface])
        settings["enabled"] = prop_bool(new, "Enabled", settings["enabled"])
        settings["accept_non_secure"] = prop_bool(new, "AcceptNonSecureConnections", settings["accept_non_secure"])
        if interface == "remote":
            settings["mutual"] = prop_bool(new, "MutualAuthentication", settings["mutual"])
        if "TrustedCN" in new.props:
            settings["trusted_cn"] = prop_list(new, "TrustedCN")
        firmware = self.device.firmware
        # CSME 16.1+: the remote interface cannot accept non-TLS again, nor turn TLS off (GWM's Intel comment).
        if interface == "remote" and firmware.non_secure_remote_removed() and (
                settings["accept_non_secure"] or (self.active["remote"]["enabled"] and not settings["enabled"])):
            raise WsmanFault("AccessDenied", "NOT_PERMITTED: the remote interface is TLS-only on this firmware.")
        if interface == "local" and firmware.local_tls_enforced() and (settings["accept_non_secure"] or not settings["enabled"]):
            raise WsmanFault("AccessDenied", "NOT_PERMITTED: the local interface is TLS-only on this firmware.")
        self.pending[interface] = settings
        self.changed()

    @staticmethod
    def _auth_level(settings: dict) -> int:
        if not settings["enabled"]:
            return NO_AUTH
        return MUTUAL_AUTH if settings["mutual"] else SERVER_AUTH

    def commit(self, caller) -> int:
        """Apply pending TLS settings (CommitChanges); the ReturnValue."""
        if self.pending == self.active:
            return SUCCESS
        if any(settings["enabled"] for settings in self.pending.values()) and self.context is None:
            return DATA_MISSING
        if self.pending["remote"]["enabled"] and self.pending["remote"]["mutual"] and not self.trusted_root_pems():
            return DATA_MISSING
        self.active = copy.deepcopy(self.pending)
        self.changed()
        self.device.audit.log(events.TLS_STATE_CHANGED, caller,
                              bytes([self._auth_level(self.active["remote"]), self._auth_level(self.active["local"])]))
        self.device.effect("listeners")
        self.device.effect("restart", "commit_tls")
        return SUCCESS

    # --- AMT_TLSCredentialContext -------------------------------------------------------------------------
    def _context_epr(self) -> EPR:
        collection = EPR(class_uri("AMT_TLSProtocolEndpointCollection"), (("ElementName", COLLECTION_NAME),))
        return EPR(class_uri("AMT_TLSCredentialContext"),
                   (("ElementInContext", certificate_epr(self.context)), ("ElementProvidingContext", collection)))

    def _context_instances(self, caller) -> list:
        self._firmware_default()
        if self.context is None:
            return []
        epr = self._context_epr()
        return [Instance("AMT_TLSCredentialContext", dict(epr.selectors))]

    def _collection_instances(self, caller) -> list:
        return [Instance("AMT_TLSProtocolEndpointCollection", {"ElementName": COLLECTION_NAME})]

    def _context_certificate(self, new: Instance) -> str:
        element = new.props.get("ElementInContext")
        handle = certificate_handle(element) if isinstance(element, EPR) else None
        if handle not in self.certificates or self.certificates[handle]["root"] or self.certificates[handle]["key"] is None:
            raise WsmanFault("InvalidParameter", "ElementInContext must name a certificate with its key.")
        return handle

    def _create_context(self, new, caller) -> EPR:
        self._firmware_default()
        if self.context is not None:
            raise WsmanFault("AlreadyExists")
        self.context = self._context_certificate(new)
        self.changed()
        self.device.audit.log(events.TLS_SERVER_CERTIFICATE_SET, caller)
        return self._context_epr()

    def _put_context(self, current, new, caller) -> None:
        self.context = self._context_certificate(new)
        self.changed()
        self.device.audit.log(events.TLS_SERVER_CERTIFICATE_SET, caller)

    def _delete_context(self, current, caller) -> None:
        if any(settings["enabled"] for settings in self.active.values()):
            raise _in_use()
        self.context = None
        self.changed()

    # --- store --------------------------------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        return [Instance("AMT_PublicKeyManagementService", {
            "CreationClassName": "AMT_PublicKeyManagementService",
            "ElementName": "Intel(r) AMT Certificate Store Service",
            "EnabledDefault": 5,
            "EnabledState": 5,
            "Name": "Intel(r) AMT Public Key Management Service",
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _certificate_instances(self, caller) -> list:
        self._firmware_default()
        instances = []
        for handle in sorted(self.certificates, key=int):
            certificate = x509.load_der_x509_certificate(self._certificate_der(handle))
            instances.append(Instance("AMT_PublicKeyCertificate", {
                "ElementName": "Intel(r) AMT Certificate",
                "InstanceID": CERT_ID + handle,
                "Issuer": certificate.issuer.rfc4514_string(),
                "ReadOnlyCertificate": False,
                "Subject": certificate.subject.rfc4514_string(),
                "TrustedRootCertficate": self.certificates[handle]["root"],
                "X509Certificate": base64.b64encode(self._certificate_der(handle)).decode(),
            }))
        return instances

    def _public_der(self, handle: str) -> bytes:
        key = serialization.load_pem_private_key(self._key_pem(handle), password=None)
        return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)

    def _key_instances(self, caller) -> list:
        self._firmware_default()
        return [Instance("AMT_PublicPrivateKeyPair", {
            "DERKey": base64.b64encode(self._public_der(handle)).decode(),
            "ElementName": "Intel(r) AMT Key",
            "InstanceID": KEY_ID + handle,
        }) for handle in sorted(self.keys, key=int)]

    def _delete_certificate(self, current, caller) -> None:
        handle = _handle_of(current.props["InstanceID"], CERT_ID)
        if any(part.uses_certificate(handle) for part in (self, self.device.wireless, self.device.cira, self.device.ieee8021x)):
            raise _in_use()
        root = self.certificates.pop(handle)["root"]
        self.changed()
        if root:
            self.device.audit.log(events.TLS_TRUSTED_ROOT_REMOVED, caller)

    def _delete_key(self, current, caller) -> None:
        handle = _handle_of(current.props["InstanceID"], KEY_ID)
        if any(entry["key"] == handle and self.uses_certificate(number) for number, entry in self.certificates.items()):
            raise _in_use()
        del self.keys[handle]
        for entry in self.certificates.values():
            if entry["key"] == handle:
                entry["key"] = None
        self.changed()

    # --- AMT_PublicKeyManagementService -------------------------------------------------------------------
    def _generate_key_pair(self, instance, inputs, caller):
        if int_input(inputs, "KeyAlgorithm", RSA_ALGORITHM) != RSA_ALGORITHM:
            return result(UNSUPPORTED)
        length = int_input(inputs, "KeyLength", 2048)
        if length not in SUPPORTED_KEY_LENGTHS:
            return result(UNSUPPORTED)
        if len(self.keys) >= MAX_KEYS:
            return result(MAX_LIMIT_REACHED)
        key = rsa.generate_private_key(public_exponent=65537, key_size=length)
        handle, self.next_key = str(self.next_key), self.next_key + 1
        self.keys[handle] = {"pem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()).decode()}
        self.changed()
        return result(SUCCESS, ("KeyPair", EPR(class_uri("AMT_PublicPrivateKeyPair"), (("InstanceID", KEY_ID + handle),))))

    def _add_key(self, instance, inputs, caller):
        """AddKey: KeyBlob is the base64 DER of an RSA private key in PKCS#1 (GWM's AddKey comment lists the return
        values; a client that uploads keys, found in the code index, sends x509.MarshalPKCS1PrivateKey). We also take
        PKCS#8; which other forms firmware accepts is UNCONFIRMED."""
        der = _b64_der(text_input(inputs, "KeyBlob"))
        try:
            key = serialization.load_der_private_key(der or b"", password=None)
        except (ValueError, TypeError):
            return result(INVALID_KEY)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size not in SUPPORTED_KEY_LENGTHS:
            return result(INVALID_KEY)
        public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        if any(self._public_der(handle) == public for handle in self.keys):
            return result(DUPLICATE)
        if len(self.keys) >= MAX_KEYS:
            return result(MAX_LIMIT_REACHED)
        handle, self.next_key = str(self.next_key), self.next_key + 1
        self.keys[handle] = {"pem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()).decode()}
        self.changed()
        return result(SUCCESS, ("CreatedKey", EPR(class_uri("AMT_PublicPrivateKeyPair"), (("InstanceID", KEY_ID + handle),))))

    def _generate_pkcs10(self, instance, inputs, caller):
        key_epr = epr_input(inputs, "KeyPair")
        handle = _handle_of(key_epr.selector("InstanceID"), KEY_ID) if key_epr else None
        if handle not in self.keys:
            return result(INVALID_KEY)
        algorithm = {0: hashes.SHA1(), 1: hashes.SHA256()}.get(int_input(inputs, "SigningAlgorithm", 1))
        template = _b64_der(text_input(inputs, "NullSignedCertificateRequest"))
        if algorithm is None or template is None:
            return result(INVALID_PARAMETER)
        try:
            subject = x509.load_der_x509_csr(template).subject
        except ValueError:
            return result(INVALID_PARAMETER)
        key = serialization.load_pem_private_key(self._key_pem(handle), password=None)
        request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, algorithm)
        return result(SUCCESS, ("SignedCertificateRequest",
                                base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()))

    def _parse_blob(self, inputs):
        der = _b64_der(text_input(inputs, "CertificateBlob"))
        try:
            return der, x509.load_der_x509_certificate(der or b"")
        except ValueError:
            return der, None

    def _is_duplicate(self, der: bytes) -> bool:
        return any(self._certificate_der(handle) == der for handle in self.certificates)

    def _store_certificate(self, der: bytes, root: bool, key) -> EPR:
        handle, self.next_certificate = str(self.next_certificate), self.next_certificate + 1
        self.certificates[handle] = {"der": base64.b64encode(der).decode(), "root": root, "key": key}
        self.changed()
        return certificate_epr(handle)

    def _add_certificate(self, instance, inputs, caller):
        der, certificate = self._parse_blob(inputs)
        if certificate is None:
            return result(INVALID_CERT)
        if self._is_duplicate(der):
            return result(DUPLICATE)
        if len(self.certificates) >= MAX_CERTIFICATES:
            return result(MAX_LIMIT_REACHED)
        public = certificate.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        key = next((handle for handle in self.keys if serialization.load_pem_private_key(
            self._key_pem(handle), password=None).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public), None)
        if key is None:
            return result(INVALID_KEY)
        return result(SUCCESS, ("CreatedCertificate", self._store_certificate(der, False, key)))

    def _add_trusted_root(self, instance, inputs, caller):
        der, certificate = self._parse_blob(inputs)
        if certificate is None:
            return result(INVALID_CERT)
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            return result(INVALID_CERT)
        if self._is_duplicate(der):
            return result(DUPLICATE)
        if len(self.certificates) >= MAX_CERTIFICATES:
            return result(MAX_LIMIT_REACHED)
        epr = self._store_certificate(der, True, None)
        self.device.audit.log(events.TLS_TRUSTED_ROOT_ADDED, caller)
        return result(SUCCESS, ("CreatedCertificate", epr))
