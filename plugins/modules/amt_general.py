#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_general
short_description: Set Intel AMT's host and domain name, ping answers, shared FQDN, timers, web UI and environment detection
description:
  - Sets what C(AMT_GeneralSettings) holds for an administrator, in one Put of the whole instance. That covers AMT's host
    and domain name, whether AMT answers ICMP and RMCP pings, whether its FQDN is shared with the host, the idle wake
    timeout and the presence notification interval.
  - Switches the built-in web UI on ports 16992/16993 on or off (C(AMT_WebUIService.RequestStateChange)). WS-Management
    keeps working on the same ports.
  - Sets environment detection (C(AMT_EnvironmentDetectionSettingData)). These are the intranet DNS suffixes and IPv6
    prefixes by which AMT decides that it is inside the organisation's network. Outside it, AMT reaches its console through
    CIRA instead of serving the local ports.
  - Options left out are left as they are. Every value is checked before anything is sent.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  host_name:
    description:
      - AMT's host name, a single DNS label of at most 63 characters (letters, digits and hyphens, no hyphen at either end).
        An empty string clears it.
      - With O(shared_fqdn=true) it should be the host operating system's name.
    type: str
  domain_name:
    description:
      - AMT's domain name, at most 191 characters of dot-separated DNS labels. An empty string clears it.
    type: str
  ping_response_enabled:
    description:
      - Whether AMT answers ICMP echo requests (ping).
    type: bool
  rmcp_ping_response_enabled:
    description:
      - Whether AMT answers RMCP pings (port 623), by which network scanners find AMT devices.
    type: bool
  shared_fqdn:
    description:
      - V(true) when AMT's FQDN (O(host_name).O(domain_name)) is the host's; V(false) when it is AMT's own.
    type: bool
  idle_wake_timeout:
    description:
      - Minutes AMT stays powered after the host sleeps or turns off, or after AMT wakes, 1 to 65535.
    type: int
  presence_notification_interval:
    description:
      - Minutes between the WS-Management events AMT sends its subscribers after network settings change. 0 turns them
        off; otherwise at least 15.
    type: int
  web_ui_enabled:
    description:
      - The built-in web UI on or off. A device without the web UI service (C(AMT_WebUIService)) has none to switch off. Asking
        such a device to switch it on fails before anything is written.
    type: bool
  detection_domains:
    description:
      - The intranet DNS suffixes, as DHCP hands them out (option 15 or DHCPv6 option 24), at most 5, each at most
        190 characters. An empty list removes them all.
      - Order and letter case do not matter. AMT matches any of them.
      - With no domain and no prefix, AMT never considers itself inside the intranet.
    type: list
    elements: str
  detection_ipv6_prefixes:
    description:
      - IPv6 prefixes of the intranet, written as address/length with a length of 1 to 64, such as V(2001:db8:10::/48). They serve
        networks that do not hand out a DNS suffix. An empty list removes them all.
    type: list
    elements: str
notes:
  - Run it as the admin account. The sources read do not say which realms each class needs. The simulator lets an account
    with the General Info realm change C(AMT_GeneralSettings) and keeps the web UI and environment detection to
    PT Administration.
  - Every Put writes AMT_EnvironmentDetectionSettingData's C(DetectionAlgorithm) as 0 (local domains), the only algorithm AMT
    supports.
  - Limits come from Intel's property descriptions and SDK. The limit of 5 detection domains is the simulator's, as no Intel
    text we could read gives one. Intel's SDK allows host names with Unicode characters from CSME 18. This module accepts
    only ASCII DNS labels.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: General AMT settings for an office fleet
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      password: "{{ vault_amt_password }}"
      ca_path: "{{ amt_ca_path }}"
  tasks:
    - name: Name AMT as the host, no RMCP pings, web UI off, intranet detection by suffix and IPv6 prefix
      oob.amt.amt_general:
        host_name: "{{ inventory_hostname_short }}"
        domain_name: corp.example.com
        shared_fqdn: true
        ping_response_enabled: true
        rmcp_ping_response_enabled: false
        web_ui_enabled: false
        detection_domains: [corp.example.com, lab.example.com]
        detection_ipv6_prefixes: ["2001:db8:10::/48"]
      delegate_to: localhost

- name: Give amt_info's reading back to amt_general (changes nothing)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the general settings and the network subset
      oob.amt.amt_info:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        gather_subset: [general, network]
      register: read

    - name: Give back what amt_info read
      oob.amt.amt_general:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        host_name: "{{ read.amt.general.host_name }}"
        domain_name: "{{ read.amt.general.domain_name }}"
        web_ui_enabled: "{{ read.amt.network.web_ui_enabled }}"
        detection_domains: "{{ read.amt.network.detection_domains }}"
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["set general settings: host name pc17, RMCP ping answers off", "turn the web UI off"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (its C(verified) says whether reading back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error, or did not take it.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "turn the web UI off", "status": "confirmed", "verified": true}]
general:
  description:
    - The device's settings after the task, with the names and values of this module's options, so that RV(general) can be
      given back to this module unchanged. C(amt_info) reports the same settings in C(amt.general) (the
      C(AMT_GeneralSettings) ones) and C(amt.network) (web UI and environment detection).
  returned: success
  type: dict
  contains:
    host_name:
      description: AMT's host name; empty when none is set.
      type: str
    domain_name:
      description: AMT's domain name; empty when none is set.
      type: str
    ping_response_enabled:
      description: ICMP pings answered.
      type: bool
    rmcp_ping_response_enabled:
      description: RMCP pings answered.
      type: bool
    shared_fqdn:
      description: The FQDN is shared with the host.
      type: bool
    idle_wake_timeout:
      description: Minutes AMT stays powered while the host sleeps or is off.
      type: int
    presence_notification_interval:
      description: Minutes between presence notifications; 0 when they are off.
      type: int
    web_ui_enabled:
      description: The web UI on; null when the device has no web UI service.
      type: bool
    detection_domains:
      description: The intranet DNS suffixes; null when the device has no environment detection.
      type: list
      elements: str
    detection_ipv6_prefixes:
      description: The intranet IPv6 prefixes, in their shortest form; null when the device has no environment detection.
      type: list
      elements: str
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units.general import General


def main():
    module = AmtModule(
        amt_argument_spec(
            host_name={"type": "str"},
            domain_name={"type": "str"},
            ping_response_enabled={"type": "bool"},
            rmcp_ping_response_enabled={"type": "bool"},
            shared_fqdn={"type": "bool"},
            idle_wake_timeout={"type": "int"},
            presence_notification_interval={"type": "int"},
            web_ui_enabled={"type": "bool"},
            detection_domains={"type": "list", "elements": "str"},
            detection_ipv6_prefixes={"type": "list", "elements": "str"},
        ),
        supports_check_mode=True,
    )
    module.converge(General)


if __name__ == "__main__":
    main()
