# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge the hardening baseline on one device over one client (docs/hardening-controls.md; catalog.py).

Each enforced control builds the unit that manages its thing with only that control's settings and runs
units.base.converge; the client's per-run cache means every class is read once however many controls read it. Observed
controls are judged by amt_info's findings checks over amt_info's facts (info/gather.py), manual ones reported with what
to do. TLS goes last, after every other write, through the TLS unit's own commit-and-reconnect (units/tls_apply.py).

A control that fails does not stop the others; a lost connection does: every control still to be read or changed is
failed with kind unreachable. Observed and manual ones are still judged from what was read before.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import read_uuid
from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog
from ansible_collections.oob.amt.plugins.module_utils.baseline.settings import enforced
from ansible_collections.oob.amt.plugins.module_utils.info import advisories, findings
from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.units import account_allowlist, tls_apply
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import Users, account_key
from ansible_collections.oob.amt.plugins.module_utils.units.audit_policy import AuditPolicy
from ansible_collections.oob.amt.plugins.module_utils.units.base import NOT_SENT, Outcome, converge, describe_unit, read_state
from ansible_collections.oob.amt.plugins.module_utils.units.cira import Cira
from ansible_collections.oob.amt.plugins.module_utils.units.general import ENVIRONMENT_DETECTION, WEB_UI, General
from ansible_collections.oob.amt.plugins.module_utils.units.redirection import Redirection
from ansible_collections.oob.amt.plugins.module_utils.units.tls import Tls
from ansible_collections.oob.amt.plugins.module_utils.units.wifi import WifiProfiles
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError, InvalidInputError

COMPLIANT, CHANGED, DRIFTED, NOT_APPLICABLE, MANUAL, EXCEPTED, FAILED = (
    "compliant", "changed", "drifted", "not_applicable", "manual", "excepted", "failed")
STATUSES = (COMPLIANT, CHANGED, DRIFTED, NOT_APPLICABLE, MANUAL, EXCEPTED, FAILED)
UNREACHABLE = "unreachable"

NOT_PROVISIONED = "AMT is not provisioned (ProvisioningState %s): nothing else can be judged before AMT-PROV-01 is settled"
NO_WIFI = "the device has no wireless interface AMT manages"
# Which of amt_tls's described fields each TLS control judges.
TLS_FIELDS = {
    "AMT-TLS-01": ("server_certificate", "remote_tls"),
    "AMT-TLS-02": ("accept_non_secure_connections",),
    "AMT-TLS-03": ("mutual_authentication", "trusted_cn", "trusted_root_certificates"),
    "AMT-TLS-04": ("local_tls", "local_accept_non_secure_connections"),
}
TLS_IDS = tuple(TLS_FIELDS)
# Order of the writes: KVM off before the listener that serves it, the allowed accounts after AMT-AUD-01 has made the
# Auditor (which they spare), and TLS last (it restarts the network stack).
_FIRST = ("AMT-REDIR-02",)
_LAST = ("AMT-ACCT-03", "AMT-ACCT-04")
# The control whose settings list the allowed accounts, and how refusals name that list and its passwords.
ACCOUNTS = "AMT-ACCT-03"
ACCOUNT_PASSWORDS = "secrets.account_passwords"


def missing_data(control, settings, secrets):
    """The catalog's `requires` entries that are not given: settings (or secrets) without which the control is only observed."""
    missing = []
    for requirement in control.requires:
        if not any(_given(alternative, settings, secrets) for alternative in requirement.split("|")):
            missing.append(" or ".join(_place(control, alternative) for alternative in requirement.split("|")))
    return missing


def _given(name, settings, secrets):
    if name.startswith("secrets."):
        return bool(secrets.get(name[len("secrets."):]))
    value = settings.get(name)
    return value is True if isinstance(value, bool) else bool(value)


def _place(control, name):
    return name if name.startswith("secrets.") else "baseline.%s.%s" % (control.id, name)


class Entry:
    """One control's result as amt_baseline returns it."""

    def __init__(self, control):
        self.control = control
        self.status = None
        self.reason = None
        self.actions = []
        self.writes = []
        self.error = None
        self.diff = None
        self.would_change = False  # check mode: enforcing it would change the device

    def to_result(self):
        control = self.control
        return {"id": control.id, "title": control.title, "severity": control.severity, "status": self.status,
                "reason": self.reason, "actions": list(self.actions), "writes": list(self.writes), "error": self.error,
                "fix": control.fix}


class Run:
    """One amt_baseline run on one device. module: an AmtModule (client, connect, hostname, params, check_mode, redact)."""

    def __init__(self, module, selected, settings, secrets, exceptions, enforce):
        self.module = module
        self.selected = selected
        self.settings = settings
        self.secrets = secrets
        self.exceptions = exceptions
        self.enforce = enforce
        self.entries = dict((control_id, Entry(catalog.BY_ID[control_id])) for control_id in selected)
        self.lost = None
        self.facts = {}
        self.tls_connection = None
        self.device = None
        self.advisories = []
        self.auditor_client = None

    # --- helpers ---------------------------------------------------------------------------------------------
    @property
    def client(self):
        return self.module.client

    def _error(self, error):
        return {"kind": error.kind, "msg": self.module.redact(str(error))}

    def _fail(self, entry, error):
        entry.status = FAILED
        entry.error = self._error(error)
        if isinstance(error, NOT_SENT) and self.lost is None:
            self.lost = "the connection to the device was lost during %s: %s" % (entry.control.id, self.module.redact(str(error)))

    def _enforcing(self, control_id):
        return control_id not in self.exceptions and enforced(self.settings[control_id], self.enforce)

    def _pending(self, control_ids):
        return [self.entries[control_id] for control_id in control_ids if control_id in self.entries and self.entries[control_id].status is None]

    def check_inputs(self):
        """Build every unit the task's settings decide alone, so that a bad setting is refused before anything is sent."""
        for control_id in self.selected:
            control = catalog.BY_ID[control_id]
            settings = self.settings[control_id]
            if control.mode != catalog.ENFORCE or control.unit in ("wifi", "tls", "accounts") or missing_data(control, settings, self.secrets):
                continue
            self._unit(control, settings)
        account_allowlist.check_passwords(self.settings[ACCOUNTS]["accounts"], self.secrets.get("account_passwords") or {},
                                          ACCOUNT_PASSWORDS)
        if any(control_id in self.selected for control_id in TLS_IDS):
            self._tls_unit(None, [control_id for control_id in TLS_IDS if self._tls_enforceable(control_id)])

    # --- the run -----------------------------------------------------------------------------------------------
    def run(self):
        """Judge and enforce every selected control; returns the module result, with changed and diff."""
        try:
            return self._run()
        finally:
            if self.auditor_client is not None:
                self.auditor_client.close()

    def _run(self):
        self._read_device()
        if self.device["control_mode"] == "pre":
            self._unprovisioned()
        else:
            self._gather_observed()
            ordered = [control_id for control_id in _FIRST if control_id in self.entries]
            ordered += [control_id for control_id in self.selected if control_id not in ordered and control_id not in _LAST]
            ordered += [control_id for control_id in _LAST if control_id in self.entries]
            for control_id in ordered:
                entry = self.entries[control_id]
                if entry.status is not None or catalog.BY_ID[control_id].unit == "tls":
                    continue
                if self.lost and entry.control.mode == catalog.ENFORCE:
                    continue  # left for the failure below; observed and manual ones rest on facts read before the loss
                self._settle(entry)
            if not self.lost:
                self._settle_tls()
        for entry in self._pending(self.selected):
            entry.status = FAILED
            entry.error = {"kind": UNREACHABLE, "msg": "not judged: %s" % self.lost}
        return self._result()

    def _read_device(self):
        client = self.client
        facts = gather(client, ["firmware", "provisioning"])
        self.facts.update(facts)
        firmware, provisioning = facts["firmware"], facts["provisioning"]
        self.advisories = advisories.evaluate(advisories.parse_version(firmware["version"], firmware["build"]))
        control_mode = provisioning["control_mode"] if provisioning["state"] == "post" else "pre"
        self.device = {"uuid": read_uuid(client), "firmware": firmware["full_version"], "control_mode": control_mode,
                       "hostname": self.module.hostname}

    def _unprovisioned(self):
        """Before provisioning only AMT-PROV-01, the firmware and the manual checks can be judged."""
        for entry in self._pending(self.selected):
            control = entry.control
            if control.id in self.exceptions:
                self._excepted(entry)
            elif control.id in ("AMT-PROV-01", "AMT-FW-01"):
                self._observe(entry)
            elif control.mode == catalog.MANUAL:
                self._manual(entry, control.manual_reason)
            else:
                entry.status = NOT_APPLICABLE
                entry.reason = NOT_PROVISIONED % self.facts["provisioning"]["state"]

    def _needed_subsets(self):
        needed = []
        for entry in self.entries.values():
            control = entry.control
            if control.finding is not None and (control.mode == catalog.OBSERVE or control.unit in ("tls", "wifi")
                                                or missing_data(control, self.settings[control.id], self.secrets)):
                needed.extend(subset for subset in control.finding.needs if subset not in needed and subset not in self.facts)
        if any(entry.control.unit == "wifi" for entry in self.entries.values()) and "wifi" not in needed:
            needed.append("wifi")
        return needed

    def _gather_observed(self):
        for subset in self._needed_subsets():
            try:
                self.facts.update(gather(self.client, [subset]))
            except AmtError as error:
                for entry in self._pending(self.selected):
                    if entry.control.finding is not None and subset in entry.control.finding.needs:
                        self._fail(entry, error)
                if self.lost:
                    return

    # --- one control ---------------------------------------------------------------------------------------------
    def _settle(self, entry):
        control = entry.control
        if control.mode == catalog.ENFORCE:
            self._enforce(entry)
        elif control.id in self.exceptions:
            self._excepted(entry)
        elif control.mode == catalog.MANUAL:
            self._manual(entry, control.manual_reason)
        else:
            self._observe(entry)

    @staticmethod
    def _manual(entry, reason):
        entry.status = MANUAL
        entry.reason = reason

    def _excepted(self, entry):
        entry.status = EXCEPTED
        entry.reason = self.exceptions[entry.control.id]

    def _observe(self, entry, hint=None):
        """Judge the control by amt_info's findings check; hint says which settings would let it be enforced."""
        control = entry.control
        if control.finding is None or not all(subset in self.facts for subset in control.finding.needs):
            self._manual(entry, control.manual_reason if hint is None else "%s; %s" % (control.manual_reason, hint))
            return
        site = self.settings[control.id]
        judged = control.finding.check(self.facts, (), **dict((name, site.get(name)) for name in control.finding.site_options))
        if control.id == "AMT-FW-01" and not judged:
            unknown = [item["advisory"] for item in self.advisories if item["status"] == advisories.UNKNOWN]
            if unknown:
                self._manual(entry, "no sourced fixed version for %s on firmware %s; check Intel's security center"
                             % (", ".join(unknown), self.device["firmware"]))
                return
        if isinstance(judged, findings.Manual):
            self._manual(entry, judged.reason if hint is None else "%s; %s" % (judged.reason, hint))
            return
        observed = [item["observed"] if isinstance(item, dict) else item for item in judged]
        entry.status = DRIFTED if observed else COMPLIANT
        reasons = list(observed)
        if hint:
            reasons.append(hint)
        entry.reason = "; ".join(reasons) or None

    def _enforce(self, entry):
        control = entry.control
        settings = self.settings[control.id]
        missing = missing_data(control, settings, self.secrets)
        if missing:
            if control.id in self.exceptions:
                self._excepted(entry)
            else:
                self._observe(entry, "observed only: give %s to enforce it" % ", ".join(missing))
            return
        try:
            unit = self._unit(control, settings)
        except AmtError as error:
            self._fail(entry, error)
            return
        if unit is None:  # nothing on the device to manage: the builder said why
            if control.id in self.exceptions:
                self._excepted(entry)
            return
        check_mode = self.module.check_mode or not self._enforcing(control.id)
        try:
            client = self._client_for(control)
        except AmtError as error:
            self._fail(entry, error)
            return
        outcome = converge(unit, client, check_mode)
        self._from_outcome(entry, outcome, getattr(unit, "not_applicable", []), getattr(unit, "kept", []))

    def _from_outcome(self, entry, outcome, not_applicable=(), kept=()):
        """kept: drift the control's settings leave on the device (an unknown account without purge), one text each."""
        control = entry.control
        entry.writes = [write.to_result() for write in outcome.writes]
        entry.diff = outcome.diff
        entry.actions = outcome.actions
        if control.id in self.exceptions:
            self._excepted(entry)
            entry.actions = list(outcome.planned)
            return
        if outcome.error is not None:
            self._fail(entry, outcome.error)
            return
        entry.would_change = bool(outcome.planned) and self.module.check_mode and self._enforcing(control.id)
        if outcome.writes:
            entry.status = CHANGED
        elif outcome.planned:
            entry.status = DRIFTED
            entry.reason = "; ".join(outcome.planned)
        elif not_applicable:
            entry.status = NOT_APPLICABLE
            entry.reason = "; ".join("%s: %s" % (item["option"], item["reason"]) for item in not_applicable)
        else:
            entry.status = COMPLIANT
        if not_applicable and entry.status != NOT_APPLICABLE:
            entry.reason = "; ".join([entry.reason or ""] + ["not applicable: %s: %s" % (item["option"], item["reason"])
                                                             for item in not_applicable]).strip("; ")
        if kept:
            entry.status = DRIFTED if entry.status == COMPLIANT else entry.status
            entry.reason = "; ".join(([entry.reason] if entry.reason else []) + list(kept))

    def _client_for(self, control):
        """The admin's session; for the audit policy the auditor's, when AMT-AUD-01 names one and its password is given:
        once an auditor holds the log only that account may change it."""
        auditor = self.settings["AMT-AUD-01"]
        if control.unit != "audit_policy" or not auditor["name"] or not self.secrets.get("auditor_password"):
            return self.client
        if self.auditor_client is None:
            # self.client, the admin's session, has confirmed the device's UUID already.
            self.auditor_client = self.module.connect(username=auditor["name"], password=self.secrets["auditor_password"],
                                                      identity_confirmed=True)
        return self.auditor_client

    # --- units -----------------------------------------------------------------------------------------------------
    def _unit(self, control, settings):
        """The unit that enforces the control with only its settings, or None when the device has nothing to manage."""
        try:
            return _UNIT_BUILDERS[control.unit](self, control, settings)
        except InvalidInputError as error:
            raise _refusal(control, error) from None

    def _redirection(self, control, settings):
        options = dict((name, value) for name, value in settings.items() if name != catalog.ENFORCE_SETTING)
        if control.id == "AMT-REDIR-01" and options["listener"] is None:
            kvm = self.settings["AMT-REDIR-02"]["kvm"]
            options["listener"] = bool(options["sol"] or options["ider"] or kvm)
        if options.get("vnc_port_5900"):
            options["rfb_password"] = self.secrets.get("rfb_password")
        return Redirection(options)

    def _audit_policy(self, control, settings):
        options = dict((name, value) for name, value in settings.items() if name != catalog.ENFORCE_SETTING)
        auditor = self.settings["AMT-AUD-01"]["name"] if self.secrets.get("auditor_password") else None
        options["username"] = auditor or self.module.params["username"]
        return AuditPolicy(options)

    def _users(self, control, settings):
        return Users({"name": settings["name"], "kerberos_sid": settings["kerberos_sid"], "access": settings["access"],
                      "realms": ["audit_log"], "account_password": self.secrets.get("auditor_password"), "state": "present"})

    def _accounts(self, control, settings):
        """The allowed accounts' part of this control; without a list, the other accounts judged as amt_info judges them."""
        auditor = self.settings["AMT-AUD-01"]
        auditor_key = account_key(auditor["name"], auditor["kerberos_sid"]) if auditor["name"] or auditor["kerberos_sid"] else None
        site = self.settings[ACCOUNTS]
        if site["accounts"] is None:
            others = account_allowlist.other_accounts(read_state(Users(), self.client), auditor_key)
            judged = control.finding.check({"users": {"accounts": others}}, ())
            if isinstance(judged, findings.Manual):
                self._manual(self.entries[control.id], judged.reason)
            else:
                self.entries[control.id].status = COMPLIANT
            return None
        part = account_allowlist.REALMS if control.id == ACCOUNTS else account_allowlist.ACCESS
        passwords = (self.secrets.get("account_passwords") or {}) if self._enforcing(control.id) else None
        return account_allowlist.AccountAllowlist(part, site["accounts"], purge=site["purge"], auditor=auditor_key,
                                                  passwords=passwords, place="baseline.%s" % ACCOUNTS,
                                                  password_place=ACCOUNT_PASSWORDS, state=read_state(Users(), self.client))

    def _wifi(self, control, settings):
        # Read again (the client's cache answers unless a control before this one changed the profiles).
        wifi = describe_unit(WifiProfiles(), self.client)
        if "local_profile_sync" not in wifi and not wifi["profiles"]:
            self.entries[control.id].status = NOT_APPLICABLE
            self.entries[control.id].reason = NO_WIFI
            return None
        if control.id == "AMT-WIFI-05":
            if "local_profile_sync" not in wifi:
                self.entries[control.id].status = NOT_APPLICABLE
                self.entries[control.id].reason = NO_WIFI
                return None
            return WifiProfiles({"local_profile_sync": settings["local_profile_sync"], "uefi_profile_share": settings["uefi_profile_share"]})
        if control.id == "AMT-WIFI-01":
            # amt_info's own check, one profile at a time: it names the profile when it is open or WEP.
            removed = [profile["name"] for profile in wifi["profiles"] if control.finding.check({"wifi": {"profiles": [profile]}}, ())]
        else:
            removed = [profile["name"] for profile in wifi["profiles"] if profile["name"] not in settings["allowed_profiles"]]
        if not removed:
            self.entries[control.id].status = COMPLIANT
            return None
        return WifiProfiles({"profiles": [{"name": name, "state": "absent"} for name in removed]})

    def _general(self, control, settings):
        options = dict((name, value) for name, value in settings.items() if name != catalog.ENFORCE_SETTING)
        return General(options, parts=(WEB_UI,) if control.id == "AMT-WEB-01" else (ENVIRONMENT_DETECTION,))

    def _cira(self, control, settings):
        if control.id == "AMT-CIRA-01":
            passwords = self.secrets.get("mps_passwords") or {}
            servers = [dict(server, password=passwords.get(server["address"]), state="present") for server in settings["servers"]]
            return Cira({"servers": servers, "purge": True, "mps_root_certificate": settings["mps_root_certificate"]})
        return Cira({"policies": settings["policies"], "user_initiated": settings["user_initiated"]})

    # --- TLS, last ---------------------------------------------------------------------------------------------------
    def _settle_tls(self):
        for entry in self._pending(TLS_IDS):
            if entry.control.id in self.exceptions:
                self._excepted(entry)
        judged = [entry.control.id for entry in self._pending(TLS_IDS) if self._tls_enforceable(entry.control.id)]
        for entry in self._pending(TLS_IDS):
            if entry.control.id not in judged:
                entry.status = NOT_APPLICABLE
                entry.reason = self._tls_hint(entry.control)
        if not judged:
            return
        try:
            state = read_state(Tls(), self.client)
            unit = self._tls_unit(state, judged)
            applied = [control_id for control_id in judged if self._enforcing(control_id)]
            apply_unit = self._tls_unit(state, applied) if applied and not self.module.check_mode else None
        except AmtError as error:
            for entry in self._pending(TLS_IDS):
                self._fail(entry, error)
            return
        if unit is None:
            for control_id in judged:
                self._observe(self.entries[control_id], self._tls_hint(self.entries[control_id].control))
            return
        changes = unit.plan(state)
        diff = unit.diff(state, changes)
        planned = [unit.summary(change) for change in changes]
        needs_issuer = any(change["action"] == "certificate" for change in changes) and unit.want["issuer"] is None
        if apply_unit is not None and apply_unit.want["issuer"] is None and any(
                change["action"] == "certificate" for change in apply_unit.plan(state)):
            apply_unit = None  # the certificate in use must be replaced and no issuer is given: observed only
        outcome = Outcome("tls", check_mode=False)
        if apply_unit is not None and (apply_unit.plan(state) or not self.module.params["use_tls"]):
            try:
                tls_apply.apply(self.module, apply_unit, outcome, self.settings["AMT-TLS-01"]["restart_timeout"])
            except AmtError as error:
                outcome.error = error
            if outcome.writes and outcome.error is None:
                self.tls_connection = outcome.extra.get("connection")
        for control_id in judged:
            fields = [name for name in TLS_FIELDS[control_id] if diff["before"][name] != diff["after"][name]]
            mine = Outcome("tls", check_mode=apply_unit is None or control_id not in applied)
            mine.diff = dict((side, dict((name, diff[side][name]) for name in TLS_FIELDS[control_id])) for side in ("before", "after"))
            if fields:
                mine.planned = [summary for summary, change in zip(planned, changes) if _tls_change_touches(change, fields)]
                mine.planned.append(tls_apply.COMMIT)
                if not mine.check_mode:
                    mine.writes = [write for write in outcome.writes if write.action in mine.planned
                                   or (control_id == "AMT-TLS-01" and write.action not in planned)]
                    mine.error = outcome.error
            self._from_outcome(self.entries[control_id], mine)
            if needs_issuer and "server_certificate" in fields:
                self.entries[control_id].reason += "; %s" % self._tls_hint(self.entries[control_id].control).replace(
                    "no server certificate is in use", "the certificate in use must be replaced")
        if outcome.writes and not any(self.entries[control_id].writes for control_id in applied):
            # Settings an interrupted run wrote but never committed: the commit belongs to the first enforced TLS control.
            pending = Outcome("tls", check_mode=False)
            pending.planned = [write.action for write in outcome.writes]
            pending.writes, pending.error = outcome.writes, outcome.error
            self._from_outcome(self.entries[applied[0]], pending)

    def _tls_enforceable(self, control_id):
        """Whether the TLS unit judges the control: AMT-TLS-03 (optional) only where the baseline requires it."""
        return control_id != "AMT-TLS-03" or not missing_data(catalog.BY_ID[control_id], self.settings[control_id], self.secrets)

    def _tls_hint(self, control):
        if control.id == "AMT-TLS-03":
            return ("optional, and not required by this baseline: baseline.AMT-TLS-03.mutual_authentication true (with"
                    " trusted_root_certificates) requires it")
        missing = missing_data(catalog.BY_ID["AMT-TLS-01"], self.settings["AMT-TLS-01"], self.secrets)
        return "observed only: no server certificate is in use; give %s to enforce it" % ", ".join(missing)

    def _tls_unit(self, state, control_ids):
        """The TLS unit with the settings of control_ids and the device's own values for the rest; None when no
        certificate can be put in use (none on the device, and AMT-TLS-01 has no issuer or is not among them)."""
        tls01 = self.settings["AMT-TLS-01"]
        # state None: checking the task's settings before anything is read, with a stand-in for the device's values.
        described = _STAND_IN if state is None else Tls().describe(state)
        with_issuer = "AMT-TLS-01" in control_ids and not missing_data(catalog.BY_ID["AMT-TLS-01"], tls01, self.secrets)
        if with_issuer:
            server_certificate = tls01["server_certificate"]
        elif described["server_certificate"] is not None:
            # Keep the certificate in use: its names, never renewed (only AMT-TLS-01 with an issuer replaces it).
            server_certificate = dict(described["server_certificate"], key_length=2048, validity_days=3650, renew_before_days=0)
        else:
            return None
        tls02, tls03, tls04 = self.settings["AMT-TLS-02"], self.settings["AMT-TLS-03"], self.settings["AMT-TLS-04"]
        mutual = "AMT-TLS-03" in control_ids
        options = {
            "server_certificate": server_certificate,
            "issuer_certificate": tls01["issuer_certificate"] if with_issuer else None,
            "issuer_private_key": self.secrets.get("tls_ca_key") if with_issuer else None,
            "issuer_private_key_passphrase": self.secrets.get("tls_ca_key_passphrase") if with_issuer else None,
            "trusted_root_certificates": tls03["trusted_root_certificates"] if mutual else [],
            "mutual_authentication": mutual,
            "trusted_cn": tls03["trusted_cn"] if mutual else [],
            "accept_non_secure_connections": (tls02 if "AMT-TLS-02" in control_ids else described)["accept_non_secure_connections"],
            "local_tls": (tls04 if "AMT-TLS-04" in control_ids else described)["local_tls"],
            "local_accept_non_secure_connections": (tls04 if "AMT-TLS-04" in control_ids else described)["local_accept_non_secure_connections"],
            "client_cert": self.module.params.get("client_cert"),
            "client_key": self.module.params.get("client_key"),
        }
        try:
            unit = Tls(options)
            if with_issuer:
                tls_apply.check_hostname(self.module, unit)
        except InvalidInputError as error:
            raise _refusal(catalog.BY_ID["AMT-TLS-01"], error) from None
        if not mutual:
            # Mutual authentication is optional: where the baseline does not require it, the device keeps what it has.
            unit.want["mutual_authentication"] = described["mutual_authentication"]
            unit.want["trusted_cn"] = [name.lower() for name in described["trusted_cn"]]
        return unit

    # --- the result ------------------------------------------------------------------------------------------------
    def _result(self):
        controls = [self.entries[control_id].to_result() for control_id in self.selected]
        writes = [write for entry in self.entries.values() for write in entry.writes]
        diff = dict((control_id, entry.diff) for control_id, entry in self.entries.items() if entry.diff is not None)
        summary = dict((status, 0) for status in STATUSES)
        for entry in controls:
            summary[entry["status"]] += 1
        would_change = any(entry.would_change for entry in self.entries.values())
        return {
            "changed": would_change or any(write["status"] in ("confirmed", "unconfirmed") for write in writes),
            "indeterminate": any(write["status"] == "unconfirmed" for write in writes),
            "controls": controls,
            "summary": summary,
            "device": self.device,
            "advisories": self.advisories,
            "tls": self.tls_connection,
            "diff": {"before": dict((key, value["before"]) for key, value in diff.items()),
                     "after": dict((key, value["after"]) for key, value in diff.items())},
        }


# Unit options whose values come from amt_baseline's secrets: a refusal names the secret.
_SECRET_OPTIONS = (("issuer_private_key_passphrase", "tls_ca_key_passphrase"), ("issuer_private_key", "tls_ca_key"),
                   ("account_password", "auditor_password"), ("rfb_password", "rfb_password"))


def _refusal(control, error):
    """A unit's refusal ("option: rule") as the task gives it: baseline.<id>.<setting>, or secrets.<name>."""
    message = str(error)
    for option, secret in _SECRET_OPTIONS:
        if message.startswith((option + ":", option + " ")):
            return InvalidInputError("secrets.%s: %s" % (secret, message[len(option):].lstrip(": ")))
    return InvalidInputError("baseline.%s.%s" % (control.id, message))


_STAND_IN = {"server_certificate": {"common_name": "stand-in", "subject_alt_names": []}, "accept_non_secure_connections": False,
             "local_tls": True, "local_accept_non_secure_connections": False, "mutual_authentication": False, "trusted_cn": []}


def _tls_change_touches(change, fields):
    """Whether a TLS change brings one of a control's fields (TLS_FIELDS) to the wanted value."""
    if change["action"] == "certificate":
        return "server_certificate" in fields
    if change["action"] == "add_root":
        return "trusted_root_certificates" in fields
    local = change["interface"] == "local"
    return any(name.startswith("local_") == local for name in fields)


_UNIT_BUILDERS = {
    "redirection": Run._redirection,
    "audit_policy": Run._audit_policy,
    "users": Run._users,
    "accounts": Run._accounts,
    "wifi": Run._wifi,
    "general": Run._general,
    "cira": Run._cira,
}
