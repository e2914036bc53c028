# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every AMT/CIM/IPS class name the collection sends is spelled once, in amt/schema.py: elsewhere code names the constant."""

from __future__ import annotations

import ast
import pathlib
import re

PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "plugins"
SCHEMA = PLUGINS / "module_utils" / "amt" / "schema.py"
CLASS_NAME = re.compile(r"^(?:AMT|CIM|IPS)_[A-Za-z0-9]+$")
# Environment variable names that share the prefix but are not classes.
NOT_CLASSES = {"AMT_HOSTNAME", "AMT_USERNAME", "AMT_PASSWORD"}


def class_name_literals(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if CLASS_NAME.match(node.value) and node.value not in NOT_CLASSES:
                yield node.lineno, node.value


def test_class_names_are_spelled_only_in_the_schema_module():
    found = ["%s:%d %s" % (path.relative_to(PLUGINS), line, name)
             for path in sorted(PLUGINS.rglob("*.py")) if path != SCHEMA
             for line, name in class_name_literals(path)]
    assert found == []


def test_the_check_sees_class_names():
    assert list(class_name_literals(SCHEMA))
