# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMT's rules for account names and passwords, and the hashed form in which a password reaches the firmware.

The firmware receives admin and user passwords only as MD5 hashes, so it cannot judge their strength: the rules
(docs/amt-reference.md 4.1) are enforced here, before anything is sent. Messages name the option and the rule, never the value.
"""

from __future__ import annotations

import base64
import hashlib

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 32
PASSWORD_FORBIDDEN = ':,"'
USERNAME_MAX_LENGTH = 16
USERNAME_FORBIDDEN = ':,<>&"'
SYSTEM_ACCOUNT_PREFIX = "$$"
RESERVED_USERNAMES = frozenset(["admin", "Admin"])


def _is_special(char):
    # "_" counts as alphanumeric and the space does not count toward complexity (docs/amt-reference.md 4.1).
    return not char.isalnum() and char not in "_ "


def password_problems(password):
    """The rules of docs/amt-reference.md 4.1 that password breaks, as short phrases; empty when it is acceptable."""
    problems = []
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        problems.append("be %d to %d characters long (got %d)" % (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, len(password)))
    if any(not 32 <= ord(char) <= 126 for char in password):
        problems.append("use only printable 7-bit ASCII characters")
    if any(char in PASSWORD_FORBIDDEN for char in password):
        problems.append("not contain a colon, comma or double quote")
    if not any(char.isdigit() and char.isascii() for char in password):
        problems.append("contain a digit")
    if not any(char.islower() and char.isascii() for char in password):
        problems.append("contain a lower-case letter")
    if not any(char.isupper() and char.isascii() for char in password):
        problems.append("contain an upper-case letter")
    if not any(_is_special(char) and char.isascii() for char in password):
        problems.append("contain a special character other than '_' and space (for example ! $ ; ~)")
    return problems


def check_password(option, password):
    """Raise InvalidInputError naming option and every rule password breaks."""
    problems = password_problems(password)
    if problems:
        raise InvalidInputError("%s does not meet AMT's password rule: it must %s" % (option, "; ".join(problems)))


def check_username(option, username, reserved_allowed):
    """Raise InvalidInputError naming option and the rule username breaks.

    reserved_allowed: True for the admin account, which may keep the name admin; False for new user accounts.
    """
    if not 1 <= len(username) <= USERNAME_MAX_LENGTH:
        raise InvalidInputError("%s must be 1 to %d characters long (got %d)" % (option, USERNAME_MAX_LENGTH, len(username)))
    if any(not 33 <= ord(char) <= 126 for char in username):
        raise InvalidInputError("%s must use only printable 7-bit ASCII characters without spaces" % option)
    if any(char in USERNAME_FORBIDDEN for char in username):
        raise InvalidInputError("%s must not contain any of : , < > & \"" % option)
    if username.startswith(SYSTEM_ACCOUNT_PREFIX):
        raise InvalidInputError("%s must not begin with %s, which AMT keeps for its system accounts" % (option, SYSTEM_ACCOUNT_PREFIX))
    if not reserved_allowed and username in RESERVED_USERNAMES:
        raise InvalidInputError("%s must not be %s, a name AMT reserves for the administrator" % (option, username))


def digest_password(username, digest_realm, password):
    """DigestPassword of the AMT_AuthorizationService ACL methods: base64 of MD5(user:realm:password) (docs/amt-reference.md 4.2)."""
    digest = hashlib.md5(("%s:%s:%s" % (username, digest_realm, password)).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")
