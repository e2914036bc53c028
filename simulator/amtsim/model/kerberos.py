"""AMT_KerberosSettingData (docs/amt-reference.md 7.5). Passphrase and MasterKey are write-only."""
from __future__ import annotations

from amtsim.model import audit_records as events
from amtsim.model.codes import SUCCESS
from amtsim.model.component import Component, bool_input, prop_bool, prop_int, prop_list, prop_text, result
from amtsim.types import Instance, WsmanFault

INSTANCE_ID = "Intel (r) AMT: Kerberos Settings"
RC4_HMAC, AES128, AES256 = 0, 1, 2


class Kerberos(Component):
    INSTANCES = {"AMT_KerberosSettingData": "_instances"}
    PUTS = {"AMT_KerberosSettingData": "_put"}
    METHODS = {
        ("AMT_KerberosSettingData", "GetCredentialCacheState"): "_get_cache_state",
        ("AMT_KerberosSettingData", "SetCredentialCacheState"): "_set_cache_state",
    }
    STATE_FIELDS = ("settings", "key_set", "cache_enabled")

    def reset(self) -> None:
        self.settings = {"RealmName": "", "ServicePrincipalName": [], "ServicePrincipalProtocol": [], "KeyVersion": 0,
                         "MaximumClockTolerance": 5, "KrbEnabled": False, "ConfiguredEncryptionAlgorithms": []}
        self.key_set = False
        self.cache_enabled = False

    def _instances(self, caller) -> list:
        props = {"ElementName": "Intel(r) AMT: Kerberos Settings", "InstanceID": INSTANCE_ID,
                 "KrbEnabled": self.settings["KrbEnabled"], "SupportedEncryptionAlgorithms": [RC4_HMAC, AES128, AES256]}
        if self.settings["RealmName"]:  # Intel's capture of an unconfigured device carries only the four above
            props.update({name: (value if value != [] else None) for name, value in self.settings.items()})
            props["EncryptionAlgorithm"] = RC4_HMAC
        return [Instance("AMT_KerberosSettingData", props)]

    def _put(self, current, new, caller) -> None:
        # Whether firmware accepts Put here is UNCONFIRMED (docs/hardening-controls.md 5); we accept it.
        settings = dict(self.settings)
        settings["RealmName"] = prop_text(new, "RealmName", settings["RealmName"])
        settings["KeyVersion"] = prop_int(new, "KeyVersion", settings["KeyVersion"])
        settings["MaximumClockTolerance"] = prop_int(new, "MaximumClockTolerance", settings["MaximumClockTolerance"])
        settings["KrbEnabled"] = prop_bool(new, "KrbEnabled", settings["KrbEnabled"])
        for name in ("ServicePrincipalName", "ServicePrincipalProtocol", "ConfiguredEncryptionAlgorithms"):
            if name in new.props:
                settings[name] = prop_list(new, name)
        settings["ServicePrincipalProtocol"] = [int(item) for item in settings["ServicePrincipalProtocol"]]
        settings["ConfiguredEncryptionAlgorithms"] = [int(item) for item in settings["ConfiguredEncryptionAlgorithms"]]
        key_given = bool(prop_text(new, "Passphrase") or prop_text(new, "MasterKey"))
        if settings["KrbEnabled"] and not (settings["RealmName"] and (key_given or self.key_set)):
            raise WsmanFault("InvalidParameter", "Kerberos needs a realm and a key")
        if not set(settings["ConfiguredEncryptionAlgorithms"]) <= {RC4_HMAC, AES128, AES256}:
            raise WsmanFault("InvalidParameter", "unknown encryption algorithm")
        self.settings = settings
        self.key_set = self.key_set or key_given
        self.changed()
        self.device.audit.log(events.KERBEROS_SETTINGS_MODIFIED, caller)
        if key_given:
            self.device.audit.log((16, 14), caller)

    def _get_cache_state(self, instance, inputs, caller):
        return result(SUCCESS, ("Enabled", self.cache_enabled))

    def _set_cache_state(self, instance, inputs, caller):
        self.cache_enabled = bool(bool_input(inputs, "Enable", False))
        self.changed()
        return result(SUCCESS)
