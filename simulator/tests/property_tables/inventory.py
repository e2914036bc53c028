"""The hardware inventory (amtsim/model/inventory.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "CIM_Chassis": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/chassis/types.go",
        "properties": ["ChassisPackageType", "CreationClassName", "ElementName", "Manufacturer", "Model",
                       "OperationalStatus", "PackageType", "SerialNumber", "Tag", "Version"],
        "optional": [],
    },
    "CIM_Card": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/card/types.go",
        "properties": ["CanBeFRUed", "CreationClassName", "ElementName", "Manufacturer", "Model", "OperationalStatus",
                       "PackageType", "SerialNumber", "Tag", "Version"],
        "optional": [],
    },
    "CIM_PhysicalPackage": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/physical/types.go",
        "properties": ["CanBeFRUed", "CreationClassName", "ElementName", "Manufacturer", "Model", "OperationalStatus",
                       "PackageType", "SerialNumber", "Tag", "Version"],
        "optional": ["ManufactureDate", "OtherIdentifyingInfo", "SKU", "VendorEquipmentType"],
    },
    "CIM_Chip": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/chip/types.go",
        "properties": ["CanBeFRUed", "CreationClassName", "ElementName", "Manufacturer", "OperationalStatus", "Tag",
                       "Version"],
        "optional": [],
    },
    "CIM_Processor": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/processor/types.go",
        "properties": ["CPUStatus", "CreationClassName", "CurrentClockSpeed", "DeviceID", "ElementName", "EnabledState",
                       "ExternalBusClockSpeed", "Family", "HealthState", "MaxClockSpeed", "OperationalStatus",
                       "OtherFamilyDescription", "RequestedState", "Role", "Stepping", "SystemCreationClassName",
                       "SystemName", "UpgradeMethod"],
        "optional": [],
    },
    "CIM_PhysicalMemory": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/physical/types.go",
        "properties": ["BankLabel", "Capacity", "ConfiguredMemoryClockSpeed", "CreationClassName", "ElementName",
                       "FormFactor", "IsSpeedInMhz", "Manufacturer", "MaxMemorySpeed", "MemoryType", "PartNumber",
                       "SerialNumber", "Speed", "Tag"],
        "optional": ["OperationalStatus"],
    },
    "CIM_MediaAccessDevice": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/mediaaccess/types.go",
        "properties": ["Capabilities", "CreationClassName", "DeviceID", "ElementName", "EnabledDefault", "EnabledState",
                       "MaxMediaSize", "OperationalStatus", "RequestedState", "Security", "SystemCreationClassName",
                       "SystemName"],
        "optional": [],
    },
    "CIM_ComputerSystemPackage": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/computer/types.go",
        "properties": ["Antecedent", "Dependent", "PlatformGUID"],
        "optional": [],
    },
    "CIM_SystemPackaging": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/system/types.go",
        "properties": ["Antecedent", "Dependent", "PlatformGUID"],
        "optional": [],
    },
    "CIM_BIOSElement": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/bios/types.go",
        "properties": ["ElementName", "Manufacturer", "Name", "OperationalStatus", "PrimaryBIOS", "ReleaseDate",
                       "SoftwareElementID", "SoftwareElementState", "TargetOperatingSystem", "Version"],
        "optional": [],
    },
    "CIM_BIOSFeature": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/bios/types.go",
        "properties": ["Characteristics", "ElementName", "IdentifyingNumber", "Name", "OperationalStatus",
                       "ProductName", "Vendor", "Version"],
        "optional": [],
    },
    "CIM_Battery": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/battery/types.go",
        "properties": ["BatteryStatus", "ChargingStatus", "Chemistry", "CreationClassName", "DesignCapacity",
                       "DesignVoltage", "DeviceID", "ElementName", "EnabledState", "EstimatedChargeRemaining",
                       "FullChargeCapacity", "HealthState", "RequestedState", "SystemCreationClassName", "SystemName"],
        "optional": ["OperationalStatus"],
    },
    "CIM_Fan": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/fan/types.go",
        "properties": ["ActiveCooling", "CreationClassName", "DesiredSpeed", "DeviceID", "ElementName", "EnabledState",
                       "HealthState", "OperationalStatus", "RequestedState", "SystemCreationClassName", "SystemName",
                       "VariableSpeed"],
        "optional": [],
    },
    "CIM_Sensor": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/sensor/types.go",
        "properties": ["CreationClassName", "CurrentState", "DeviceID", "ElementName", "EnabledState", "HealthState",
                       "OperationalStatus", "PossibleStates", "RequestedState", "SensorType", "SystemCreationClassName",
                       "SystemName"],
        "optional": [],
    },
    "AMT_AssetTableService": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/asset/types.go",
        "properties": ["CreationClassName", "ElementName", "Name", "SystemCreationClassName", "SystemName",
                       "TableTypes"],
        "optional": ["AssetTableCount", "EnabledState", "RequestedState"],
    },
    "AMT_AssetTable": {
        # No recorded response: the key, the table's type and its data.
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/asset/types.go",
        "properties": ["ElementName", "InstanceID", "TableData", "TableType", "TableTypeInfo"],
        "optional": ["AssetTableIndex", "Checksum", "CreationClassName", "Name", "SystemCreationClassName",
                     "SystemName", "TableID", "TableSize"],
    },
}
