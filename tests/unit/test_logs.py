"""Log configuration: kopf's per-object info lines only when debugging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from evercert import logs


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    kopf_objects = logging.getLogger(logs.KOPF_OBJECTS)
    saved = (root.handlers[:], root.level, kopf_objects.level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    kopf_objects.setLevel(saved[2])


def test_kopfs_per_object_info_lines_are_left_out_at_info() -> None:
    logs.configure("json", "info")
    kopf_objects = logging.getLogger(logs.KOPF_OBJECTS)
    assert not kopf_objects.isEnabledFor(logging.INFO)
    assert kopf_objects.isEnabledFor(logging.WARNING)


def test_kopfs_per_object_lines_show_when_debugging() -> None:
    logs.configure("json", "debug")
    assert logging.getLogger(logs.KOPF_OBJECTS).isEnabledFor(logging.DEBUG)
