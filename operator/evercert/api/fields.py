"""Typed reads from an object's body, each failure naming the field path the user has to fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.errors import InvalidSpec


class Fields:
    """One mapping of a body (e.g. `spec.issuerRef`) together with its path, for error messages."""

    def __init__(self, data: Any, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise InvalidSpec(f"{path} must be an object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def path_of(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def section(self, key: str) -> Fields:
        return Fields(self.data.get(key), self.path_of(key))

    def optional_str(self, key: str) -> str | None:
        """The string at `key`, or None when it is absent or empty."""
        value = self.data.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise InvalidSpec(f"{self.path_of(key)} must be a string")
        return value

    def required_str(self, key: str) -> str:
        value = self.optional_str(key)
        if value is None:
            raise InvalidSpec(f"{self.path_of(key)} must be set")
        return value

    def optional_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSpec(f"{self.path_of(key)} must be an integer")
        return value

    def optional_bool(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidSpec(f"{self.path_of(key)} must be true or false")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        """The string at `key`, which must be one of `allowed`."""
        value = self.optional_str(key) or default
        if value not in allowed:
            raise InvalidSpec(f"{self.path_of(key)} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        items = self._list(key)
        if not all(isinstance(item, str) for item in items):
            raise InvalidSpec(f"{self.path_of(key)} must be a list of strings")
        return tuple(items)

    def str_map(self, key: str) -> dict[str, str]:
        value = self.section(key).data
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise InvalidSpec(f"{self.path_of(key)} must map strings to strings")
        return dict(value)

    def sections(self, key: str) -> tuple[Fields, ...]:
        """Each object of the list at `key`, with its index in the path (`solvers[0]`)."""
        return tuple(Fields(item, f"{self.path_of(key)}[{i}]") for i, item in enumerate(self._list(key)))

    def _list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise InvalidSpec(f"{self.path_of(key)} must be a list")
        return list(value)
