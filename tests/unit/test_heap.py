"""The heap is trimmed once after a burst of work, not after every piece of it (heap.py).

The loop's time is faked (looptime), so "quiet for 2 s" is exact and costs nothing."""

from __future__ import annotations

import asyncio

import pytest

from evercert.heap import HeapTrimmer, find_malloc_trim


class Recorder:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        return 1


@pytest.mark.looptime
async def test_trims_once_after_the_burst_is_quiet() -> None:
    recorder = Recorder()
    trimmer = HeapTrimmer(recorder, quiet=2)
    for _ in range(20):
        trimmer.work_done()
        await asyncio.sleep(1)
    assert recorder.calls == []  # still busy: each piece of work moves the trim on
    await asyncio.sleep(0.9)  # 1.9 s since the last piece
    assert recorder.calls == []
    await asyncio.sleep(0.2)
    assert recorder.calls == [0]
    assert trimmer.trims == 1


@pytest.mark.looptime
async def test_cancel_drops_a_pending_trim() -> None:
    recorder = Recorder()
    trimmer = HeapTrimmer(recorder, quiet=2)
    trimmer.work_done()
    trimmer.cancel()
    await asyncio.sleep(10)
    assert recorder.calls == []


@pytest.mark.looptime
async def test_without_malloc_trim_nothing_is_scheduled() -> None:
    trimmer = HeapTrimmer(None, quiet=2)
    trimmer.work_done()
    await asyncio.sleep(10)
    assert trimmer.trims == 0


def test_glibc_has_malloc_trim() -> None:
    # The image and this test bed run on glibc; the real call gives memory back or reports nothing to do.
    trim = find_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)
