# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options every oob.amt module shares; set them once with module_defaults and group/oob.amt.amt.
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Address or DNS name of the Intel AMT device (its remote WS-Management interface).
      - An IPv4 address, an IPv6 address (bare or in brackets, without a zone index) or a DNS name of at most 253
        characters in labels of at most 63. Nothing else - no scheme, user information, port or path - so that the
        password can only go to the device named. Anything else fails with V(invalid_input) before a connection is opened.
      - If not set, the value of the E(AMT_HOSTNAME) environment variable is used.
      - Required whenever the module talks to the device over the network. A module or mode that reaches the device
        another way (the host interface, the local manageability service) does not need it, and accepts it so that
        C(group/oob.amt.amt) module defaults apply.
    type: str
  port:
    description:
      - TCP port of the WS-Management service.
      - Defaults to V(16993) when O(use_tls=true) and to V(16992) when O(use_tls=false).
    type: int
  username:
    description:
      - Digest user name on the device. It must not be empty; an empty name is refused before anything is sent, since a
        failed logon counts towards the device's lock-out.
      - If not set, the value of the E(AMT_USERNAME) environment variable is used, then V(admin).
    type: str
    default: admin
  password:
    description:
      - Digest password for O(username). It is never logged or returned.
      - If not set, the value of the E(AMT_PASSWORD) environment variable is used.
      - Required whenever the module talks to the device over the network. Without one, the module fails with the
        error kind V(invalid_input) before it opens a connection.
    type: str
  use_tls:
    description:
      - Talk HTTPS to the device (port 16993) rather than plain HTTP (port 16992).
      - Plain HTTP sends every message, new passwords included, readable on the wire; use it only on a trusted network.
    type: bool
    default: true
  validate_certs:
    description:
      - Verify the device's TLS certificate against O(ca_path), or without O(ca_path) against the system trust store, and
        its name against O(hostname).
      - The system trust store is the one OpenSSL finds on the host that runs the module (E(SSL_CERT_FILE) and
        E(SSL_CERT_DIR) if set, else the platform's default CA file and directory); install the CA of your AMT
        certificates there. Only when that host has no trust store at all is the CA bundle shipped with the Python
        C(requests) library (certifi) used instead.
      - E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE), proxy variables and C(.netrc) are ignored.
      - Set to V(false) only for a device whose certificate you cannot verify any other way; prefer O(cert_fingerprint).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that issued the device's TLS certificate. When set, only these CAs are
        trusted, not the system trust store.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS. Requires O(client_key).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert). Requires O(client_cert).
    type: path
  cert_fingerprint:
    description:
      - SHA-256 fingerprint of the device's TLS certificate, 64 hexadecimal digits, with or without colons between byte pairs.
      - When set, the connection is accepted only if the device presents exactly this certificate, instead of verifying it against a CA.
    type: str
  timeout:
    description:
      - Seconds a request may take, from connecting to the last byte of the answer, however slowly the device sends.
        Must be greater than 0.
      - A request that only reads is tried up to three times, so it can take three times as long before the module
        fails with V(unreachable). For a request that changes the device, a timeout after sending fails with
        V(indeterminate).
      - Answers larger than 4 MiB fail with V(device_error) while they stream in; real AMT answers stay well below 1 MiB.
    type: int
    default: 30
  expected_uuid:
    description:
      - The UUID the device must report (AMT_SetupAndConfigurationService.GetUuid), in the form 8-4-4-4-12, any case.
      - When set, the module reads the device UUID before anything else and fails with the error kind V(identity_mismatch),
        changing nothing, if it differs. This protects against an address that now belongs to another machine.
    type: str
requirements:
  - requests
  - defusedxml
notes:
  - Every failure returns a stable machine-readable kind in C(error), for example V(unreachable), V(authentication), V(tls),
    V(not_permitted), V(invalid_input), V(device_error), V(indeterminate) or V(identity_mismatch).
"""
