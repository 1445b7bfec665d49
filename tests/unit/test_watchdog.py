"""The test bed's watchdog: a server silent for too long gets SIGQUIT, its goroutine dump stays in its
log, and the main thread fails with a message naming the server, the question and the dump."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from evercert_devenv.processes import Server, wait_until
from evercert_devenv.watchdog import ServerHung, Watchdog, fail_main_thread, goroutine_states

# Stands in for a Go server: on SIGQUIT it writes a goroutine dump and exits 2, as Go's runtime does.
FAKE_GO_SERVER = """
import signal, sys, time
def dump(*_):
    print("SIGQUIT: quit")
    for n, state in ((1, "sync.RWMutex.RLock, 2 minutes"), (7, "sync.Mutex.Lock"), (9, "sync.RWMutex.RLock")):
        print(f"goroutine {n} [{state}]:\\nmain.handler()\\n")
    sys.stdout.flush()
    sys.exit(2)
signal.signal(signal.SIGQUIT, dump)
print("ready", flush=True)
while True:
    time.sleep(1)
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_server(tmp_path: Path):
    server = Server("pebble", [sys.executable, "-c", FAKE_GO_SERVER], tmp_path / "pebble.log")
    server.start()
    wait_until(lambda: "ready" in server.log_path.read_text(), server, 30)
    yield server
    server.stop()


def test_a_server_silent_for_too_long_gets_sigquit_and_is_reported_with_its_dump(fake_server: Server) -> None:
    clock, reported = Clock(), []
    watchdog = Watchdog(hang_after=60, clock=clock, on_hang=reported.append)
    watchdog.watch(fake_server, "GET /cert-status-by-serial/1", lambda: False)
    process = fake_server.process
    assert process is not None

    clock.now += 59
    watchdog.check_once()
    assert reported == [] and fake_server.running()

    clock.now += 1
    watchdog.check_once()
    assert reported == [
        f"pebble hung: no answer to GET /cert-status-by-serial/1 for 60 s; it got SIGQUIT, its goroutine "
        f"dump is in {fake_server.log_path} (2 in sync.RWMutex.RLock, 1 in sync.Mutex.Lock)"
    ]
    assert process.returncode == 2
    assert "goroutine 7 [sync.Mutex.Lock]:" in fake_server.log_path.read_text()


def test_a_server_that_answers_is_never_hung(fake_server: Server) -> None:
    clock, reported = Clock(), []
    watchdog = Watchdog(hang_after=60, clock=clock, on_hang=reported.append)
    watchdog.watch(fake_server, "GET /health", lambda: True)
    for _ in range(5):
        clock.now += 60
        watchdog.check_once()
    assert reported == [] and fake_server.running()


def test_a_server_that_is_not_running_is_not_hung_and_gets_a_fresh_grace_when_back(
    fake_server: Server,
) -> None:
    clock, reported = Clock(), []
    watchdog = Watchdog(hang_after=60, clock=clock, on_hang=reported.append)
    watchdog.watch(fake_server, "GET /livez", lambda: False)
    fake_server.stop()
    clock.now += 600
    watchdog.check_once()
    fake_server.start()
    wait_until(lambda: fake_server.log_path.read_text().count("ready") == 2, fake_server, 30)
    clock.now += 30
    watchdog.check_once()
    assert reported == [] and fake_server.running()


def test_a_hang_fails_the_main_thread_with_the_message() -> None:
    watchdog = Watchdog()
    previous = signal.getsignal(signal.SIGUSR2)
    try:
        fail_main_thread(watchdog)
        watchdog.hung.append("pebble hung: no answer to GET / for 60 s")
        assert watchdog.on_hang is not None
        with pytest.raises(ServerHung, match="pebble hung: no answer to GET / for 60 s"):
            watchdog.on_hang(watchdog.hung[-1])
            signal.sigtimedwait([], 0)  # a bytecode boundary after the signal arrived
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_goroutine_states_count_where_goroutines_wait() -> None:
    dump = (
        "goroutine 1 [running]:\ngoroutine 2 [select, 5 minutes]:\n"
        "goroutine 3 gp=0x136784a8e1e0 m=nil [select]:\ngoroutine 4 gp=0x1 m=3 mp=0x2 [idle]:\n"
    )
    assert goroutine_states(dump) == "2 in select, 1 in running, 1 in idle"
