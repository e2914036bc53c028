"""Power classes (amtsim/model/power.py, host_power.py): CIM_ServiceAvailableToElement answers its
CIM_AssociatedPowerManagementService instance, as recorded.

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "CIM_ServiceAvailableToElement": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/service/types.go",
        "properties": ["AvailableRequestedPowerStates", "PowerState", "ServiceProvided", "UserOfService"],
        "optional": [],
    },
    "IPS_PowerManagementService": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/power/types.go",
        "properties": ["CreationClassName", "ElementName", "EnabledState", "Name", "OSPowerSavingState",
                       "RequestedState", "SystemCreationClassName", "SystemName"],
        "optional": [],
    },
    "IPS_HostBootReason": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/hostbootreason/types.go",
        "properties": ["ElementName", "InstanceID", "PreviousSxState", "Reason", "ReasonDetails"],
        "optional": [],
    },
    "AMT_SystemPowerScheme": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/systempowerscheme/types.go",
        "properties": ["Description", "ElementName", "InstanceID", "SchemeGUID"],
        "optional": ["CreationClassName", "Name", "PolicyOwner", "PolicyPrecedence", "SystemCreationClassName",
                     "SystemName"],
    },
}
