"""kopf's start-up gate, made linear in the number of objects.

Until every indexed object of the initial listings is indexed, kopf holds each object's first event
on one `ToggleSet` (an asyncio.Condition): a per-object toggle is dropped once that object is
indexed, and every drop wakes every waiting object, which re-checks the set. With N objects listed
that is N x N wake-ups: 10,000 Certificates plus their 10,000 Secrets kept a restart busy for
minutes. A waiter only waits for the set's state (on or off) to change, and a drop or an addition
that leaves that state as it was changes nothing a waiter could see, so only a change of state is
notified. Installed once, when the handlers are imported (kopf makes its sets later, in `kopf.run`).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..kube.kopf_internals import Toggle, ToggleSet


async def _make_toggle(self: ToggleSet, __val: bool = False, *, name: str | None = None) -> Toggle:
    toggle = Toggle(__val, name=name, condition=self._condition)
    async with self._condition:
        before = self.is_on()
        self._toggles.add(toggle)
        if self.is_on() != before:
            self._condition.notify_all()
    return toggle


async def _drop_toggle(self: ToggleSet, toggle: Toggle) -> None:
    async with self._condition:
        before = self.is_on()
        self._toggles.discard(toggle)
        if self.is_on() != before:
            self._condition.notify_all()


async def _drop_toggles(self: ToggleSet, toggles: Iterable[Toggle]) -> None:
    async with self._condition:
        before = self.is_on()
        self._toggles.difference_update(toggles)
        if self.is_on() != before:
            self._condition.notify_all()


def install() -> None:
    # __wrapped__: kube/kopf_internals.py checks kopf's own methods, not these replacements.
    for replacement, original in (
        (_make_toggle, ToggleSet.make_toggle),
        (_drop_toggle, ToggleSet.drop_toggle),
        (_drop_toggles, ToggleSet.drop_toggles),
    ):
        if replacement is not original:
            replacement.__wrapped__ = original  # type: ignore[attr-defined]
    ToggleSet.make_toggle = _make_toggle  # type: ignore[method-assign]
    ToggleSet.drop_toggle = _drop_toggle  # type: ignore[method-assign]
    ToggleSet.drop_toggles = _drop_toggles  # type: ignore[method-assign]
