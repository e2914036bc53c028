# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The accounts a site allows, as amt_baseline enforces them (AMT-ACCT-03 realms and unknown accounts, AMT-ACCT-04 access).

The site lists the accounts besides the admin that may exist, each with its realms and access, as amt_user's accounts
option takes them. One part is settled per control: REALMS creates the listed accounts that are missing, gives each
listed account its realms and, with purge, removes the accounts not listed; ACCESS gives each listed account its access.
UpdateUserAclEntryEx sends both fields, so each part sends the other one as the device holds it: excepting one control
leaves its part alone.

Never touched, whatever the list says: the admin, the firmware's $$ system accounts and the Auditor, that is every
account holding the audit_log realm and the account AMT-AUD-01 names (in check mode it may not hold the realm yet).
Passwords are write-only: one is written only when a digest account is created; an existing account's is never judged.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.units import accounts
from ansible_collections.oob.amt.plugins.module_utils.units.base import refuse
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import check_password

REALMS, ACCESS = "realms", "access"


def allowed_accounts(entries):
    """The site's list checked and normalised as amt_user does O(accounts) (InvalidInputError naming accounts[n].<key>),
    or None when no list is given."""
    if entries is None:
        return None
    listed = accounts.desired_state({"accounts": entries, "purge": True})["accounts"]
    for account in listed:
        if accounts.AUDIT_LOG in account["realms"]:
            refuse(account["option"] + "realms", "audit_log is the Auditor's realm: AMT-AUD-01 manages the Auditor, which is kept"
                   " whatever this list says")
    return listed


def check_passwords(listed, passwords, place):
    """Refuse a password for an account the list does not create (a digest account of it) or one AMT would not take.
    An empty password counts as not given (an AWX credential field left empty)."""
    digest = set(account["name"] for account in listed or () if account["type"] == accounts.DIGEST)
    for name, password in sorted(passwords.items()):
        if not password:
            continue
        if name not in digest:
            refuse("%s.%s" % (place, name), "no digest account of that name is in the allowed accounts")
        check_password("%s.%s" % (place, name), password)


def _spared(state, auditor):
    """Keys of the accounts never touched: system accounts, every holder of audit_log, and the named Auditor."""
    keys = set(account["key"] for account in state["accounts"] if account["system"] or accounts.AUDIT_LOG in account["realms"])
    if auditor is not None:
        keys.add(auditor)
    return keys


def other_accounts(state, auditor):
    """The accounts besides the admin, the system accounts and the Auditor, as amt_user describes them."""
    spared = _spared(state, auditor)
    return accounts.describe({"accounts": [account for account in state["accounts"] if account["key"] not in spared]})["accounts"]


class AccountAllowlist(accounts.Users):
    """One part (REALMS or ACCESS) of the allowed accounts (allowed_accounts()); auditor: the key of the account
    AMT-AUD-01 names, or None. passwords: name -> password of digest accounts to create; None when only observing (a
    missing password is then no refusal). place / password_place: how refusals and reasons name the list and a password.
    state: the account table as Users reads it when the caller has just read it, so that it is not read twice."""

    def __init__(self, part, listed, purge=False, auditor=None, passwords=None, place="accounts", password_place="passwords",
                 state=None):
        super().__init__()
        self.state = state
        self.part = part
        self.listed = listed
        self.purge = purge
        self.auditor = auditor
        self.passwords = passwords
        self.place = place
        self.password_place = password_place
        # Drift these settings leave in place (an account not listed while purge is off), one text each.
        self.kept = []

    def _addition(self, account):
        password = None if self.passwords is None else self.passwords.get(account["name"]) or None
        if account["type"] == accounts.DIGEST and password is None and self.passwords is not None:
            refuse("%s.%s" % (self.password_place, account["name"]), "needed to create %s: AMT stores only its hash, written when"
                   " the account is created" % accounts.account_label(account))
        return accounts.account_change("add", dict(account, password=password), password=password is not None)

    def _planned(self, account, current, admin_username):
        if account["type"] == accounts.DIGEST and account["name"] == admin_username:
            refuse("%s.%sname" % (self.place, account["option"]), "%s is the admin's name; the admin is not one of the allowed"
                   " accounts" % account["name"])
        if self.part == REALMS:
            if current is None:
                return self._addition(account)
            if current["realms"] != account["realms"]:
                return accounts.account_change("update", dict(account, access=current["access"]), current)
        elif current is not None and current["access"] != account["access"]:
            unassignable = [str(realm) for realm in current["realms"] if realm not in accounts.ASSIGNABLE_REALMS]
            if unassignable:
                # UpdateUserAclEntryEx must send the realms back, and these cannot be sent: AMT-ACCT-03 replaces them.
                self.kept.append("the access of %s stays %s: its realm(s) %s cannot be sent back"
                                 % (accounts.account_label(account), current["access"], ", ".join(unassignable)))
                return None
            return accounts.account_change("update", dict(account, realms=current["realms"]), current)
        return None

    def read(self, client):
        return super().read(client) if self.state is None else self.state

    def plan(self, state):
        """Removals first (they free table slots), then updates, then additions."""
        spared = _spared(state, self.auditor)
        existing = dict((account["key"], account) for account in state["accounts"] if account["key"] not in spared)
        listed = set(account["key"] for account in self.listed)
        removals, updates, additions = [], [], []
        self.kept = []
        for account in self.listed:
            if account["key"] in spared:
                continue
            change = self._planned(account, existing.get(account["key"]), state["admin_username"])
            if change is not None:
                (additions if change["action"] == "add" else updates).append(change)
        unlisted = [account for key, account in existing.items() if key not in listed]
        if self.part == REALMS and self.purge:
            removals = [accounts.account_change("remove", account, account) for account in unlisted]
        elif self.part == REALMS:
            self.kept += ["%s is not in %s.accounts (purge: true removes it)" % (accounts.account_label(account), self.place)
                          for account in unlisted]
        changes = removals + updates + additions
        accounts.check_room(state, changes)
        return changes

    def summary(self, change):
        account = change["account"]
        label = accounts.account_label(account)
        if change["action"] == "add":
            return "add %s (realms %s; access %s)" % (label, ", ".join(account["realms"]), account["access"])
        if change["action"] == "remove":
            return "remove %s" % label
        if self.part == REALMS:
            return "set the realms of %s to %s" % (label, ", ".join(account["realms"]))
        return "set the access of %s to %s" % (label, account["access"])
