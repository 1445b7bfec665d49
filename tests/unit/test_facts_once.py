"""One home per fact: label and annotation keys, Secret keys and condition reasons are written in
core/constants.py and core/reasons.py only; Events are posted only through the recorder (events.py)."""

from __future__ import annotations

import re
from pathlib import Path

from evercert.core import constants, reasons
from tests.support.literals import OPERATOR, assigned_twice, calls, sources, string_literals

HOMES = ("core/constants.py", "core/reasons.py")
SECRET_KEYS = ("TLS_CERT", "TLS_KEY", "CA_CERT")
# A label or annotation key of evercert's own group (not an apiVersion such as evercert.dev/v1).
OWN_KEY = re.compile(rf"^{re.escape(constants.GROUP)}/[a-z]+(-[a-z]+)*$")
KOPF_POSTERS = ("kopf.event", "kopf.info", "kopf.warn", "kopf.exception")


def homed_values() -> dict[str, str]:
    """value -> the name it has in its home module."""
    values = {}
    for name, value in vars(constants).items():
        if isinstance(value, str) and (name.startswith(("LABEL_", "ANNOTATION_")) or name in SECRET_KEYS):
            values.setdefault(value, f"constants.{name}")
    for name, value in vars(reasons).items():
        if name.isupper() and isinstance(value, str) and " " not in value:  # messages have spaces
            values.setdefault(value, f"reasons.{name}")
    return values


def test_keys_and_reasons_are_written_only_in_their_home() -> None:
    values = homed_values()
    found = [
        f"{literal} is {values.get(literal.value, 'a key that belongs in constants')}"
        for path in sources(exclude=HOMES)
        for literal in string_literals(path)
        if literal.value in values or OWN_KEY.match(literal.value)
    ]
    assert found == [], "use the name from its home module:\n" + "\n".join(found)


def test_a_literal_outside_its_home_is_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(f'"""{constants.TLS_CERT} in a docstring is fine."""\nKEY = "{constants.TLS_CERT}"\n')
    assert [literal.value for literal in string_literals(module)] == [constants.TLS_CERT]


def test_no_fact_is_defined_twice() -> None:
    assert {home: assigned_twice(OPERATOR / home) for home in HOMES} == {home: [] for home in HOMES}


def test_events_are_posted_only_through_the_recorder() -> None:
    posted = [
        f"{path.relative_to(OPERATOR)}:{line}: {name}"
        for path in sources(exclude=("events.py",))
        for line, name in calls(path)
        if name in KOPF_POSTERS
    ]
    assert posted == [], f"post Events through the EventRecorder (events.py): {posted}"
