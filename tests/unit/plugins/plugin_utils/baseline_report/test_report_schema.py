# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports of 3 and 1,000 machines validate against docs/baseline-report.schema.json.

The schema uses a small part of JSON Schema (type, enum, const, required, properties, additionalProperties: false,
items, minimum, pattern, $ref into $defs); check() below validates exactly that part, so the test needs no library.
Where the jsonschema package is installed, it validates too (and checks that the schema is itself valid).
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, runs
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

ROOT = pathlib.Path(__file__).resolve().parents[5]
SCHEMA = json.loads((ROOT / "docs" / "baseline-report.schema.json").read_text(encoding="utf-8"))
KEYWORDS = {"$schema", "$id", "title", "description", "type", "enum", "const", "required", "properties", "additionalProperties",
            "items", "minimum", "pattern", "$ref", "$defs"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def check(value, schema, where="$"):
    """The list of violations of schema by value."""
    unknown = set(schema) - KEYWORDS
    assert not unknown, "check() does not implement %s" % unknown
    if "$ref" in schema:
        return check(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]], where)
    problems = []
    types = schema.get("type")
    if types is not None and not any(_is(value, name) for name in ([types] if isinstance(types, str) else types)):
        return ["%s: %r is not of type %s" % (where, value, types)]
    if "const" in schema and value != schema["const"]:
        problems.append("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r is not one of %r" % (where, value, schema["enum"]))
    if "minimum" in schema and value < schema["minimum"]:
        problems.append("%s: %r < %r" % (where, value, schema["minimum"]))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if isinstance(value, dict):
        problems += ["%s: %s is required" % (where, key) for key in schema.get("required", ()) if key not in value]
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            problems += ["%s: %s is not allowed" % (where, key) for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                problems += check(item, properties[key], "%s.%s" % (where, key))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += check(item, schema["items"], "%s[%d]" % (where, index))
    return problems


def report(count, previous=None, run=None):
    results, groups = synthetic.fleet(count)
    built = build.build(results, "2026-12-03T21:40:00Z", "Fleet of %d" % count, groups, run)
    built["changes"] = diff.changes(built, previous)
    return built


def reports():
    three = report(3)
    previous = build.build(synthetic.fleet(1000, seed=11)[0], "2026-12-02T21:40:00Z", "previous")
    first_batch = runs.record("20261203T214000Z-1", "2026-12-03T21:40:00Z", "amt-baseline-20261203T214000Z.json", None, ["z1", "z2"])
    second_batch = runs.record("20261203T214000Z-1", "2026-12-03T21:45:00Z", "amt-baseline-20261203T214000Z.json",
                               {"run": first_batch}, ["z2"])
    return {"3 hosts, first report": three,
            "1000 hosts, against a previous report": report(1000, previous),
            "a run's second update, hosts not reached yet": report(10, previous, second_batch)}


@pytest.mark.parametrize("name, document", list(reports().items()))
def test_reports_validate_against_the_schema(name, document):
    assert check(document, SCHEMA) == []
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_the_checker_catches_what_the_schema_forbids():
    document = report(3)
    document["totals"]["machines_by_status"]["lost"] = 1
    document["machines"][0]["status"] = "pwned"
    del document["changes"]["fixed"]
    document["schema_version"] = 2
    problems = check(document, SCHEMA)
    assert any("lost is not allowed" in problem for problem in problems)
    assert any("'pwned' is not one of" in problem for problem in problems)
    assert any("fixed is required" in problem for problem in problems)
    assert any("2 is not 1" in problem for problem in problems)


def test_the_schema_documents_the_statuses_the_code_uses():
    assert SCHEMA["properties"]["control_statuses"]["const"] == list(build.CONTROL_STATUSES)
    assert SCHEMA["properties"]["machine_statuses"]["const"] == list(build.MACHINE_STATUSES)
    assert SCHEMA["properties"]["schema"]["const"] == build.SCHEMA
    assert SCHEMA["properties"]["schema_version"]["const"] == build.SCHEMA_VERSION
