# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMT's device-wide settings as an administrator manages them (docs/amt-reference.md 3.3, 7.6, 7.8).

General is the unit (units/base.py). It has three parts, each read from its own class, so that amt_info can report
each part in the subset that reads that class:
  settings               AMT_GeneralSettings: host and domain name, ping and RMCP answers, the shared FQDN, the idle
                         wake timeout and the presence notification interval (one Put of the whole instance)
  web_ui                 AMT_WebUIService: the built-in web UI on or off (RequestStateChange 2 / 3)
  environment_detection  AMT_EnvironmentDetectionSettingData: the intranet DNS suffixes and IPv6 prefixes by which AMT
                         decides it is inside the organisation's network (one Put of the whole instance)

Lists are compared as sets: AMT matches any of the suffixes or prefixes, so their order means nothing.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import optional
from ansible_collections.oob.amt.plugins.module_utils.units.base import Unit
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError

SETTINGS, WEB_UI, ENVIRONMENT_DETECTION = "settings", "web_ui", "environment_detection"
PARTS = (SETTINGS, WEB_UI, ENVIRONMENT_DETECTION)

# option -> AMT_GeneralSettings property, for the settings this module manages.
_SETTING_PROPERTIES = {
    "host_name": "HostName",
    "domain_name": "DomainName",
    "ping_response_enabled": "PingResponseEnabled",
    "rmcp_ping_response_enabled": "RmcpPingResponseEnabled",
    "shared_fqdn": "SharedFQDN",
    "idle_wake_timeout": "IdleWakeTimeout",
    "presence_notification_interval": "PresenceNotificationInterval",
}
_TEXT_SETTINGS = ("host_name", "domain_name")
_BOOL_SETTINGS = ("ping_response_enabled", "rmcp_ping_response_enabled", "shared_fqdn")
_DETECTION_OPTIONS = ("detection_domains", "detection_ipv6_prefixes")
OPTIONS = tuple(_SETTING_PROPERTIES) + ("web_ui_enabled",) + _DETECTION_OPTIONS

# Read-only AMT_GeneralSettings properties, left out of the Put body.
_GENERAL_READ_ONLY = ("DigestRealm", "NetworkInterfaceEnabled", "PrivacyLevel", "PowerSource")

# Limits from Intel's property descriptions (docs/amt-reference.md 3.3; go-wsman-messages pkg/wsman/amt/general/types.go) and
# the SDK page on configuring environment detection (each domain 190 characters at most).
HOST_NAME_MAX_BYTES = 63
DOMAIN_NAME_MAX = 191
LABEL_MAX = 63
IDLE_WAKE_TIMEOUT = (1, 65535)
PRESENCE_NOTIFICATION_MIN = 15
DETECTION_DOMAIN_MAX = 190
# Not in any Intel text we could read: the simulator's limit, which the module checks so that a task fails before sending.
DETECTION_DOMAINS_MAX_COUNT = 5
# "XXXX:XXXX:XXXX:XXXX/Y": at most the first 64 bits of an address (Intel's DetectionIPv6LocalPrefixes description).
IPV6_PREFIX_MAX_LENGTH = 64
DETECTION_ALGORITHM_LOCAL_DOMAINS = 0
ENVIRONMENT_DETECTION_INSTANCE = "Intel(r) AMT Environment Detection Settings"
# AMT_WebUIService.EnabledState: 2 enabled, 6 enabled but offline (docs/amt-reference.md 7.8).
WEB_UI_ENABLED_STATES = (2, 6)

_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")


def _check_label(option, label):
    if not label:
        raise InvalidInputError("%s: must not have an empty label (two dots in a row, or a dot at either end)" % option)
    if len(label) > LABEL_MAX:
        raise InvalidInputError("%s: each label is at most %d characters (got %d in %s)" % (option, LABEL_MAX, len(label), label))
    if not _LABEL.match(label):
        raise InvalidInputError("%s: labels hold only letters, digits and hyphens, and neither start nor end with a hyphen (got %s)"
                                % (option, label))


def _check_host_name(value):
    if value == "":
        return value
    if len(value.encode("utf-8")) > HOST_NAME_MAX_BYTES:
        raise InvalidInputError("host_name: is at most %d characters (got %d)" % (HOST_NAME_MAX_BYTES, len(value.encode("utf-8"))))
    if "." in value:
        raise InvalidInputError("host_name: is a single label without dots; the domain goes in domain_name (got %s)" % value)
    _check_label("host_name", value)
    return value


def _check_domain(option, value, maximum):
    if len(value) > maximum:
        raise InvalidInputError("%s: is at most %d characters (got %d)" % (option, maximum, len(value)))
    for label in value.split("."):
        _check_label(option, label)
    return value


def _check_prefix(text):
    try:
        network = ipaddress.IPv6Network(text, strict=True)
    except ValueError:
        raise InvalidInputError("detection_ipv6_prefixes: each is an IPv6 prefix written as address/length with no bits set "
                                "past the length, such as 2001:db8:10::/48 (got %s)" % text) from None
    if "/" not in text or not 1 <= network.prefixlen <= IPV6_PREFIX_MAX_LENGTH:
        raise InvalidInputError("detection_ipv6_prefixes: the prefix length is between 1 and %d (got %s)" % (IPV6_PREFIX_MAX_LENGTH, text))
    return network.with_prefixlen


def _normal_prefix(text):
    """A prefix the device reports, in the form validate() gives; text it cannot parse is kept as it is."""
    try:
        return ipaddress.IPv6Network(text, strict=False).with_prefixlen
    except ValueError:
        return text


def _unique(option, values, key):
    seen = set()
    for value in values:
        if key(value) in seen:
            raise InvalidInputError("%s: lists each entry once (%s is repeated)" % (option, value))
        seen.add(key(value))
    return values


def validate(options):
    """The normalised task; raises InvalidInputError naming the option and the rule."""
    want = dict((option, options.get(option)) for option in OPTIONS)
    if want["host_name"] is not None:
        _check_host_name(want["host_name"])
    if want["domain_name"]:
        _check_domain("domain_name", want["domain_name"], DOMAIN_NAME_MAX)
    timeout = want["idle_wake_timeout"]
    if timeout is not None and not IDLE_WAKE_TIMEOUT[0] <= timeout <= IDLE_WAKE_TIMEOUT[1]:
        raise InvalidInputError("idle_wake_timeout: must be between %d and %d minutes (got %d)" % (IDLE_WAKE_TIMEOUT + (timeout,)))
    interval = want["presence_notification_interval"]
    if interval is not None and interval != 0 and interval < PRESENCE_NOTIFICATION_MIN:
        raise InvalidInputError("presence_notification_interval: must be 0 (off) or at least %d minutes (got %d)"
                                % (PRESENCE_NOTIFICATION_MIN, interval))
    domains = want["detection_domains"]
    if domains is not None:
        if len(domains) > DETECTION_DOMAINS_MAX_COUNT:
            raise InvalidInputError("detection_domains: holds at most %d domains (got %d)" % (DETECTION_DOMAINS_MAX_COUNT, len(domains)))
        for domain in domains:
            _check_domain("detection_domains", domain, DETECTION_DOMAIN_MAX)
        want["detection_domains"] = _unique("detection_domains", list(domains), str.lower)
    prefixes = want["detection_ipv6_prefixes"]
    if prefixes is not None:
        want["detection_ipv6_prefixes"] = _unique("detection_ipv6_prefixes", [_check_prefix(prefix) for prefix in prefixes], str)
    return want


def _text(value):
    return "" if value is None else str(value)


def read_settings(client):
    return settings_state(client.get(schema.AMT_GENERAL_SETTINGS))


def settings_state(settings):
    """The managed part of an AMT_GeneralSettings instance, in the options' names."""
    state = {}
    for option, name in _SETTING_PROPERTIES.items():
        value = settings.get(name)
        if option in _TEXT_SETTINGS:
            state[option] = _text(value)
        elif option in _BOOL_SETTINGS:
            state[option] = schema.as_bool(value)
        else:
            state[option] = schema.as_int(value)
    return state


def read_web_ui(client):
    """{"web_ui_enabled": on or off; None when the device has no AMT_WebUIService}."""
    service = optional(lambda: client.get(schema.AMT_WEB_UI_SERVICE))
    enabled = None if service is None else schema.as_int(service.get("EnabledState")) in WEB_UI_ENABLED_STATES
    return {"web_ui_enabled": enabled}


def read_environment_detection(client):
    """The intranet domains and IPv6 prefixes; both None when the device has no AMT_EnvironmentDetectionSettingData."""
    detection = optional(lambda: client.get(schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA))
    if detection is None:
        return {"detection_domains": None, "detection_ipv6_prefixes": None}
    return {
        "detection_domains": [str(domain) for domain in schema.as_list(detection.get("DetectionStrings"))],
        "detection_ipv6_prefixes": [_normal_prefix(str(prefix)) for prefix in schema.as_list(detection.get("DetectionIPv6LocalPrefixes"))],
    }


_READERS = {SETTINGS: read_settings, WEB_UI: read_web_ui, ENVIRONMENT_DETECTION: read_environment_detection}


def read(client, parts=PARTS):
    state = {}
    for part in parts:
        state.update(_READERS[part](client))
    return state


def _same(option, wanted, current):
    if option == "detection_domains":
        return current is not None and {domain.lower() for domain in wanted} == {domain.lower() for domain in current}
    if option == "detection_ipv6_prefixes":
        return current is not None and set(wanted) == set(current)
    return wanted == current


def plan(state, want):
    """The writes in the order they are sent: the general settings, environment detection, then the web UI."""
    changes = []
    settings = dict((option, want[option]) for option in _SETTING_PROPERTIES
                    if want[option] is not None and not _same(option, want[option], state[option]))
    if settings:
        changes.append({"action": SETTINGS, "values": settings})
    detection = dict((option, want[option]) for option in _DETECTION_OPTIONS
                     if want[option] is not None and not _same(option, want[option], state[option]))
    if detection:
        changes.append({"action": ENVIRONMENT_DETECTION, "values": detection})
    wanted_web_ui = want["web_ui_enabled"]
    # A device without the web UI service has no web UI to switch off.
    if wanted_web_ui is not None and wanted_web_ui != bool(state["web_ui_enabled"]):
        changes.append({"action": WEB_UI, "enabled": wanted_web_ui})
    return changes


def preflight(state, changes):
    """Refuse, before the first write, what this device has no class for."""
    for change in changes:
        if change["action"] == WEB_UI and state["web_ui_enabled"] is None:
            raise DeviceError("web_ui_enabled: this device has no web UI service (%s), so there is no web UI to switch on"
                              % schema.AMT_WEB_UI_SERVICE, class_name=schema.AMT_WEB_UI_SERVICE)
        if change["action"] == ENVIRONMENT_DETECTION and state["detection_domains"] is None:
            raise DeviceError("%s: this device has no environment detection (%s)" % (
                ", ".join(sorted(change["values"])), schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA),
                class_name=schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA)


def after_state(state, changes):
    after = dict(state)
    for change in changes:
        if change["action"] == WEB_UI:
            after["web_ui_enabled"] = change["enabled"]
        else:
            after.update(change["values"])
    return after


def _on_off(value):
    return "on" if value else "off"


def _listed(values):
    return ", ".join(values) if values else "none"


def _describe_setting(option, value):
    if option in _TEXT_SETTINGS:
        return "%s %s" % (option.replace("_", " "), value or "(empty)")
    if option == "ping_response_enabled":
        return "ping answers %s" % _on_off(value)
    if option == "rmcp_ping_response_enabled":
        return "RMCP ping answers %s" % _on_off(value)
    if option == "shared_fqdn":
        return "FQDN %s" % ("shared with the host" if value else "dedicated to AMT")
    if option == "idle_wake_timeout":
        return "idle wake timeout %d minutes" % value
    return "presence notifications %s" % ("off" if value == 0 else "every %d minutes" % value)


def summary(change):
    action = change["action"]
    if action == WEB_UI:
        return "turn the web UI %s" % _on_off(change["enabled"])
    values = change["values"]
    if action == SETTINGS:
        return "set general settings: %s" % ", ".join(_describe_setting(option, values[option])
                                                      for option in _SETTING_PROPERTIES if option in values)
    parts = []
    if "detection_domains" in values:
        parts.append("intranet domains %s" % _listed(values["detection_domains"]))
    if "detection_ipv6_prefixes" in values:
        parts.append("IPv6 prefixes %s" % _listed(values["detection_ipv6_prefixes"]))
    return "set environment detection: %s" % "; ".join(parts)


def send(client, state, change):
    action = change["action"]
    if action == SETTINGS:
        settings = client.get(schema.AMT_GENERAL_SETTINGS)
        for name in _GENERAL_READ_ONLY:
            settings.pop(name, None)
        for option, value in change["values"].items():
            settings[_SETTING_PROPERTIES[option]] = value
        client.put(schema.AMT_GENERAL_SETTINGS, settings)
    elif action == ENVIRONMENT_DETECTION:
        detection = client.get(schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA)
        # Local Domains is the only algorithm AMT supports (go-wsman-messages environmentdetection/types.go).
        detection["DetectionAlgorithm"] = DETECTION_ALGORITHM_LOCAL_DOMAINS
        domains = change["values"].get("detection_domains", state["detection_domains"])
        prefixes = change["values"].get("detection_ipv6_prefixes", state["detection_ipv6_prefixes"])
        detection["DetectionStrings"] = list(domains)
        detection["DetectionIPv6LocalPrefixes"] = list(prefixes)
        client.put(schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA, detection,
                   selectors={"InstanceID": _text(detection.get("InstanceID")) or ENVIRONMENT_DETECTION_INSTANCE})
    else:
        requested = schema.REQUESTED_STATE_ENABLED if change["enabled"] else schema.REQUESTED_STATE_DISABLED
        client.invoke(schema.AMT_WEB_UI_SERVICE, "RequestStateChange", [("RequestedState", requested)])


def _changed_values(change):
    if change["action"] == WEB_UI:
        return {"web_ui_enabled": change["enabled"]}
    return change["values"]


class General(Unit):
    """Host and domain name, ping and RMCP answers, the shared FQDN, idle and presence timers, the web UI and environment
    detection (module amt_general). Built with options=None it only reads, as amt_info reports it: `parts` names which of
    settings, web_ui and environment_detection (amt_info reads each in the subset that reads its class)."""

    name = "general"

    def __init__(self, options=None, parts=PARTS):
        self.want = None if options is None else validate(options)
        self.parts = parts

    def read(self, client):
        return read(client, self.parts)

    def describe(self, state):
        return dict(state)

    def plan(self, state):
        return plan(state, self.want)

    def after(self, state, changes):
        return after_state(state, changes)

    def preflight(self, client, state, changes):
        preflight(state, changes)

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        send(client, state, change)

    def landed(self, client, change):
        state = read(client, (change["action"],))
        return all(_same(option, value, state[option]) for option, value in _changed_values(change).items())
