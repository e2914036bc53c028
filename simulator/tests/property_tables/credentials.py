"""Properties of the credential and association classes: AMT_ProvisioningCertificateHash and the associations
between certificates, keys, settings and the elements they serve."""

_GWM = "device-management-toolkit/go-wsman-messages:"

TABLE = {
    "CIM_CredentialContext": {
        "source": _GWM + "pkg/wsman/cim/credential/types.go",
        "properties": ["ElementInContext", "ElementProvidingContext"],
        "optional": [],
    },
    "CIM_ConcreteDependency": {
        "source": _GWM + "pkg/wsman/cim/concrete/types.go",
        "properties": ["Antecedent", "Dependent"],
        "optional": [],
    },
    "CIM_ElementSettingData": {
        "source": "DMTF CIM_ElementSettingData (CIM schema 2.x); no Intel model lists it",
        "properties": ["IsCurrent", "ManagedElement", "SettingData"],
        "optional": ["IsDefault", "IsNext", "IsMinimum", "IsMaximum", "IsPending"],
    },
    "AMT_ProvisioningCertificateHash": {
        "source": "Intel AMT SDK class AMT_ProvisioningCertificateHash (neither Go nor TypeScript model lists it)",
        "properties": ["ElementName", "Enabled", "HashData", "HashType", "InstanceID", "IsDefault"],
        "optional": ["Description"],
    },
}
