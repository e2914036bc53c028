"""X.509 checks the firmware makes: provisioning chains (AddNextCertInChain), ACM signatures, DNS suffixes."""
from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

AMT_PROVISIONING_OID = x509.ObjectIdentifier("2.16.840.1.113741.1.2.3")
AMT_PROVISIONING_OU = "Intel(R) Client Setup Certificate"
MAX_CHAIN_LENGTH = 4


class ChainError(ValueError):
    """The chain does not satisfy the firmware's provisioning rules (message safe to show)."""


def load_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ChainError("not a DER certificate") from None


def sha256_hex(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def der_of(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def dns_names(cert: x509.Certificate) -> list:
    names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        names += cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return [str(name).lower() for name in names]


def matches_suffix(cert: x509.Certificate, suffix: str) -> bool:
    suffix = suffix.lower().strip(".")
    return bool(suffix) and any(name == suffix or name.endswith("." + suffix) for name in dns_names(cert))


def is_provisioning_leaf(cert: x509.Certificate) -> bool:
    """Intel's rule: the AMT provisioning EKU OID, or the Client Setup OU."""
    try:
        if AMT_PROVISIONING_OID in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value:
            return True
    except x509.ExtensionNotFound:
        pass
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == AMT_PROVISIONING_OU for unit in units)


def verify_chain(chain_der: list, trusted_root_hashes: set, dns_suffix: str) -> x509.Certificate:
    """Check leaf-first ``chain_der``; return the leaf or raise ChainError."""
    chain = [load_der(der) for der in chain_der]
    for child, parent in zip(chain, chain[1:]):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            raise ChainError("a certificate is not signed by the next one") from None
    root = chain[-1]
    try:
        root.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        raise ChainError("the last certificate is not a self-signed root") from None
    if sha256_hex(chain_der[-1]) not in trusted_root_hashes:
        raise ChainError("the root's hash is not in the trusted hash list")
    leaf = chain[0]
    if not is_provisioning_leaf(leaf):
        raise ChainError("the leaf is not an AMT provisioning certificate")
    if not matches_suffix(leaf, dns_suffix):
        raise ChainError("the leaf does not match the DNS suffix")
    return leaf


def verify_nonce_signature(leaf_der: bytes, configuration_nonce: bytes, mc_nonce: bytes, signature: bytes) -> bool:
    public_key = load_der(leaf_der).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(signature, configuration_nonce + mc_nonce, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
