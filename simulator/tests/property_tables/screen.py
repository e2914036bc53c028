"""Screens, blanking, secure I/O and the KVM service (amtsim/model/screen.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "IPS_ScreenSettingData": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/screensetting/types.go",
        "properties": ["ElementName", "InstanceID", "IsActive", "PrimaryIndex", "QuadraryIndex", "ResolutionX",
                       "ResolutionY", "SecondaryIndex", "TertiaryIndex", "UpperLeftX", "UpperLeftY"],
        "optional": [],
    },
    "IPS_SecIOService": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/secio/types.go",
        "properties": ["CreationClassName", "DefaultScreen", "EnabledState", "Name", "RequestedLanguage", "Started",
                       "Status", "SystemCreationClassName", "SystemName", "language", "zoom"],
        "optional": [],
    },
    "CIM_RedirectionService": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/redirectionservice/types.go",
        "properties": ["CreationClassName", "ElementName", "EnabledState", "MaxCurrentEnabledSAPs", "Name",
                       "RedirectionServiceType", "RequestedState", "SharingMode", "SystemCreationClassName",
                       "SystemName"],
        "optional": ["AccessLog"],
    },
    "IPS_ScreenConfigurationService": {
        # Not in go-wsman-messages: Intel's CIM framework class generated from the MOF 10.0.0, whose own
        # properties are all optional; required are the CIM_Service keys and EnabledState (MeshCommander reads bit 0).
        "source": "intel/lms:CIM_Framework/CIMFramework/CPPClasses/Include/IPS_ScreenConfigurationService.h",
        "properties": ["CreationClassName", "EnabledState", "Name", "SystemCreationClassName", "SystemName"],
        "optional": ["CurrentState", "ElementName", "RemainingConsecutiveRebootsNum", "RequestedState"],
    },
}
