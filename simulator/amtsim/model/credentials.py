"""Associations read from other parts of the device: CIM_CredentialContext (802.1X Wi-Fi profiles and their
certificates), AMT_RemoteAccessCredentialContext (each MPS and its certificate or username/password),
CIM_ConcreteDependency (each certificate and the key pair it was issued for) and CIM_ElementSettingData
(elements and the settings that configure them). They hold no state of their own.

Shapes follow Intel's captures in go-wsman-messages (wsmantesting/responses/cim/credential, cim/concrete). Which
pairs firmware lists in CIM_ConcreteDependency and CIM_ElementSettingData beyond those is UNCONFIRMED: we list
certificate -> key, KVM access point -> KVM settings and Wi-Fi endpoint -> each Wi-Fi profile.
"""
from __future__ import annotations

from amtsim.model.component import Component
from amtsim.model.tls import KEY_ID, certificate_epr
from amtsim.types import EPR, Instance, class_uri

IS_CURRENT, IS_NOT_CURRENT = 1, 2
KVM_SAP = (("CreationClassName", "CIM_KVMRedirectionSAP"), ("Name", "KVM Redirection Service Access Point"),
           ("SystemCreationClassName", "CIM_ComputerSystem"), ("SystemName", "ManagedSystem"))
KVM_SETTINGS_ID = "Intel(r) KVM Redirection Settings"
WIFI_ENDPOINT = (("CreationClassName", "CIM_WiFiEndpoint"), ("Name", "WiFi Endpoint 0"),
                 ("SystemCreationClassName", "CIM_ComputerSystem"), ("SystemName", "Intel(r) AMT"))


def _by_instance_id(class_name: str, instance_id: str) -> EPR:
    return EPR(class_uri(class_name), (("InstanceID", instance_id),))


class Credentials(Component):
    INSTANCES = {
        "CIM_CredentialContext": "_credential_context_instances",
        "AMT_RemoteAccessCredentialContext": "_remote_access_context_instances",
        "CIM_ConcreteDependency": "_dependency_instances",
        "CIM_ElementSettingData": "_element_setting_instances",
    }

    def _credential_context_instances(self, caller) -> list:
        contexts = []
        for settings in self.device.wireless.ieee8021x_certificates():
            for handle in settings["certificates"]:
                contexts.append(Instance("CIM_CredentialContext", {
                    "ElementInContext": certificate_epr(handle),
                    "ElementProvidingContext": _by_instance_id("CIM_IEEE8021xSettings", settings["instance_id"])}))
        return contexts

    def _remote_access_context_instances(self, caller) -> list:
        return [Instance("AMT_RemoteAccessCredentialContext", {"ElementInContext": credential, "ElementProvidingContext": server})
                for server, credential in self.device.cira.server_credentials()]

    def _dependency_instances(self, caller) -> list:
        store = self.device.tls.certificates
        return [Instance("CIM_ConcreteDependency", {"Antecedent": certificate_epr(handle),
                                                    "Dependent": _by_instance_id("AMT_PublicPrivateKeyPair", KEY_ID + entry["key"])})
                for handle, entry in sorted(store.items(), key=lambda item: int(item[0])) if entry["key"] is not None]

    def _element_setting_instances(self, caller) -> list:
        kvm = Instance("CIM_ElementSettingData", {
            "IsCurrent": IS_CURRENT, "ManagedElement": EPR(class_uri("CIM_KVMRedirectionSAP"), KVM_SAP),
            "SettingData": _by_instance_id("IPS_KVMRedirectionSettingData", KVM_SETTINGS_ID)})
        endpoint = EPR(class_uri("CIM_WiFiEndpoint"), WIFI_ENDPOINT)
        profiles = [Instance("CIM_ElementSettingData", {
            "IsCurrent": IS_NOT_CURRENT, "ManagedElement": endpoint,
            "SettingData": _by_instance_id("CIM_WiFiEndpointSettings", instance_id)})
            for instance_id in self.device.wireless.profile_instance_ids()]
        return [kvm] + profiles
