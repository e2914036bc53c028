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
      - Digest user name on the device.
      - If not set, the value of the E(AMT_USERNAME) environment variable is used, then V(admin).
    type: str
    default: admin
  password:
    description:
      - Digest password for O(username). It is never logged or returned.
      - If not set, the value of the E(AMT_PASSWORD) environment variable is used.
      - Without a password, a device that asks for authentication fails the module with the error kind V(authentication);
        a device whose network interface is closed (not provisioned) still fails with V(unreachable).
    type: str
  use_tls:
    description:
      - Talk HTTPS to the device (port 16993) rather than plain HTTP (port 16992).
      - Plain HTTP sends every message, new passwords included, readable on the wire; use it only on a trusted network.
    type: bool
    default: true
  validate_certs:
    description:
      - Verify the device's TLS certificate against O(ca_path) (or the system trust store) and its name against O(hostname).
      - Set to V(false) only for a device whose certificate you cannot verify any other way; prefer O(cert_fingerprint).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that issued the device's TLS certificate.
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
      - Seconds to wait for the device to connect and to answer each request. Must be greater than 0.
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
