#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_wifi_profile
short_description: Manage the wireless profiles Intel AMT uses out-of-band
description:
  - Adds, updates and removes the wireless profiles (C(CIM_WiFiEndpointSettings)) Intel AMT uses to reach the network
    over Wi-Fi when the host OS is down, and sets the Wi-Fi port and local profile synchronisation settings.
  - Manage one profile with O(name) and its options, or several with O(profiles). With O(purge=true) the listed profiles
    become the only ones on the device.
  - Open and shared-key (WEP) networks are refused. Passphrases must be 8 to 63 printable ASCII characters or 64 hexadecimal digits.
  - Before a profile is written the firmware is asked which security and encryption it supports (C(CIM_WiFiEndpointCapabilities)).
  - Every change is read back before the next one is made.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  name:
    description:
      - Name of the profile to manage, 1 to 32 letters or digits.
      - Mutually exclusive with O(profiles).
    type: str
  ssid:
    description:
      - SSID of the network, at most 32 bytes. Required with O(state=present).
    type: str
  priority:
    description:
      - Order in which AMT tries the profiles (0 to 255). Required with O(state=present).
    type: int
  security:
    description:
      - Authentication of the network.
      - V(wpa2_psk), V(wpa2_8021x), V(wpa3_sae) (where the firmware supports it), or V(wpa_psk) and V(wpa_8021x) for old networks.
      - V(open) and V(shared_key) networks are refused.
    type: str
  encryption:
    description:
      - Encryption of the network, V(ccmp) or V(tkip). WPA3-SAE needs V(ccmp).
      - Defaults to V(ccmp).
    type: str
  passphrase:
    description:
      - WPA passphrase for PSK security, 8 to 63 printable ASCII characters, or the key as 64 hexadecimal digits.
      - AMT never returns it, so an existing profile gets it again only when its other settings change or with O(update_password=always).
    type: str
  ieee8021x:
    description:
      - 802.1X settings for O(security=wpa2_8021x) or O(security=wpa_8021x).
    type: dict
    suboptions: &ieee8021x_suboptions
      eap_method:
        description: EAP method.
        type: str
        required: true
        choices: [eap_tls, eap_ttls_mschapv2, peapv0_eap_mschapv2, peapv1_eap_gtc, eap_fast_mschapv2, eap_fast_gtc, eap_md5, eap_psk,
                  eap_sim, eap_aka, eap_fast_tls]
      identity:
        description: User name (identity) presented to the RADIUS server.
        type: str
      roaming_identity:
        description: Outer (anonymous) identity.
        type: str
      password:
        description:
          - Password for the EAP methods that use one (all but V(eap_tls) and V(eap_fast_tls)). Write-only like O(passphrase).
        type: str
      domain:
        description: Domain of the identity.
        type: str
      server_certificate_name:
        description: Name the RADIUS server's certificate must carry.
        type: str
      server_certificate_name_comparison:
        description: How O(ieee8021x.server_certificate_name) is compared.
        type: str
        choices: [full_name, domain_suffix]
      client_certificate:
        description:
          - Client certificate, as the handle of a certificate on the device or as one PEM certificate.
          - A PEM certificate the device lacks is added with C(AddCertificate); its private key must already be on the device.
          - Required for V(eap_tls) and V(eap_fast_tls).
        type: str
      ca_certificate:
        description:
          - CA that signed the RADIUS server's certificate, as a handle or one PEM certificate.
          - A PEM certificate the device lacks is added as a trusted root.
        type: str
  state:
    description:
      - Whether the profile named O(name) should exist.
    type: str
    choices: [present, absent]
    default: present
  profiles:
    description:
      - Several profiles at once, each with the options of a single profile (O(name), O(ssid), O(priority), O(security),
        O(encryption), O(passphrase), O(ieee8021x), O(state)).
    type: list
    elements: dict
    suboptions:
      name:
        description: See O(name).
        type: str
        required: true
      ssid:
        description: See O(ssid).
        type: str
      priority:
        description: See O(priority).
        type: int
      security:
        description: See O(security).
        type: str
      encryption:
        description: See O(encryption).
        type: str
      passphrase:
        description: See O(passphrase).
        type: str
      ieee8021x:
        description: See O(ieee8021x).
        type: dict
        suboptions: *ieee8021x_suboptions
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - Remove every profile on the device that is not named in O(profiles) or O(name), user profiles included.
    type: bool
    default: false
  update_password:
    description:
      - V(on_create) writes passphrases and 802.1X passwords only when a profile is created or its other settings change.
      - V(always) rewrites every listed profile on every run, since AMT never returns the secret to compare; the task then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  local_profile_sync:
    description:
      - Whether the host OS (through LMS) may copy its wireless profiles into AMT. V(off) for centrally managed fleets,
        V(user) for the user's own profiles, V(unrestricted) for all of them.
    type: str
    choices: ['off', user, unrestricted]
  uefi_profile_share:
    description:
      - Whether AMT shares its wireless profiles with the UEFI firmware (CSME 16 and later).
    type: bool
  wifi_port:
    description:
      - State of AMT's Wi-Fi port. V(enabled_in_s0_sx) keeps it on while the host sleeps or is off on AC power.
    type: str
    choices: [disabled, enabled_in_s0, enabled_in_s0_sx]
notes:
  - Needs the admin account (PT Administration realm).
  - Whether a certificate given by handle or PEM is the one an existing profile uses cannot be read back;
    change it with O(update_password=always).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
# The connection options come from module_defaults for group/oob.amt.amt, as in the examples of oob.amt.amt_info.
- name: Only the corporate networks, no profiles pushed from the OS
  oob.amt.amt_wifi_profile:
    profiles:
      - name: corp
        ssid: CORP-WLAN
        priority: 1
        security: wpa2_8021x
        ieee8021x:
          eap_method: eap_tls
          identity: "{{ inventory_hostname }}"
          client_certificate: "{{ amt_wifi_client_cert_handle }}"
          ca_certificate: "{{ lookup('file', 'radius-ca.pem') }}"
          server_certificate_name: radius.example.com
          server_certificate_name_comparison: full_name
      - name: branch
        ssid: BRANCH
        priority: 2
        security: wpa3_sae
        passphrase: "{{ vault_branch_wifi_psk }}"
    purge: true
    local_profile_sync: 'off'
    uefi_profile_share: false
  delegate_to: localhost

- name: Remove one profile
  oob.amt.amt_wifi_profile:
    hostname: 192.0.2.10
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    name: guest
    state: absent
"""

RETURN = r"""
actions:
  description: The changes made, or in check mode the changes a real run would make, in order.
  returned: always
  type: list
  elements: str
  sample: ["delete profile guest", "add profile corp", "set localProfileSynchronizationEnabled=0"]
wifi:
  description:
    - The wireless state after the task, without secrets (passphrases and passwords appear as C(********)).
    - RV(wifi.local_profile_sync), RV(wifi.uefi_profile_share) and RV(wifi.wifi_port) are present when the task manages them.
  returned: success
  type: dict
  contains:
    profiles:
      description: Every profile on the device, by priority.
      type: list
      elements: dict
      sample: [{"name": "corp", "ssid": "CORP-WLAN", "priority": 1, "security": "wpa2_psk", "encryption": "ccmp",
                "ieee8021x": null, "passphrase": "********"}]
    local_profile_sync:
      description: V(off), V(user) or V(unrestricted).
      type: str
    uefi_profile_share:
      description: Whether profiles are shared with UEFI.
      type: bool
    wifi_port:
      description: State of the Wi-Fi port.
      type: str
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import wifi

IEEE8021X_OPTIONS = {
    "eap_method": {"type": "str", "required": True, "choices": sorted(wifi.EAP_METHODS)},
    "identity": {"type": "str"},
    "roaming_identity": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "domain": {"type": "str"},
    "server_certificate_name": {"type": "str"},
    "server_certificate_name_comparison": {"type": "str", "choices": sorted(wifi.SERVER_NAME_COMPARISON)},
    "client_certificate": {"type": "str"},
    "ca_certificate": {"type": "str"},
}


def profile_options(name_required):
    return {
        "name": {"type": "str", "required": name_required},
        "ssid": {"type": "str"},
        "priority": {"type": "int"},
        "security": {"type": "str"},
        "encryption": {"type": "str"},
        "passphrase": {"type": "str", "no_log": True},
        "ieee8021x": {"type": "dict", "options": IEEE8021X_OPTIONS},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }


def main():
    options = profile_options(False)
    options.update({
        "profiles": {"type": "list", "elements": "dict", "options": profile_options(True)},
        "purge": {"type": "bool", "default": False},
        "update_password": {"type": "str", "choices": ["always", "on_create"], "default": "on_create", "no_log": False},
        "local_profile_sync": {"type": "str", "choices": sorted(wifi.LOCAL_PROFILE_SYNC)},
        "uefi_profile_share": {"type": "bool"},
        "wifi_port": {"type": "str", "choices": sorted(wifi.WIFI_PORT)},
    })
    module = AmtModule(
        amt_argument_spec(**options),
        supports_check_mode=True,
        mutually_exclusive=[["name", "profiles"]],
        required_by={key: "name" for key in ("ssid", "priority", "security", "encryption", "passphrase", "ieee8021x")},
    )
    module.converge(wifi.WifiProfiles)


if __name__ == "__main__":
    main()
