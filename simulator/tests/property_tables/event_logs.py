"""The platform event log and the provisioning record (amtsim/model/message_log.py, provisioning_record.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "AMT_MessageLog": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/messagelog/types.go",
        "properties": ["Capabilities", "CharacterSet", "CreationClassName", "CurrentNumberOfRecords", "ElementName",
                       "EnabledDefault", "EnabledState", "HealthState", "IsFrozen", "LastChange", "LogState",
                       "MaxLogSize", "MaxNumberOfRecords", "MaxRecordSize", "Name", "OperationalStatus",
                       "OverwritePolicy", "PercentageNearFull", "RequestedState", "SizeOfHeader", "SizeOfRecordHeader",
                       "Status"],
        "optional": [],
    },
    "AMT_EventLogEntry": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/eventlogentry/types.go",
        "properties": ["CreationClassName", "DeviceAddress", "ElementName", "EventData", "EventSensorType", "EventType",
                       "RecordID", "TimeStamp"],
        "optional": [],
    },
    "IPS_ProvisioningRecordLog": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/provisioningrecordlog/types.go",
        "properties": ["CurrentNumberOfRecords", "ElementName", "EnabledState", "HealthState", "InstanceID", "LogState",
                       "MaxNumberOfRecords", "Name", "OverwritePolicy", "RequestedState"],
        "optional": [],
    },
}
