"""evercert.acme against a real Pebble: accounts, orders, HTTP-01, finalization, resume, ARI."""

from __future__ import annotations

import base64
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from acme import client as acme_client
from cryptography import x509

from evercert.acme.account import AccountSettings, generate_account_key, register_account
from evercert.acme.client import connect
from evercert.acme.order import (
    Http01Task,
    OrderSnapshot,
    answer_challenge,
    challenge_task,
    create_order,
    finalize_order,
    load_order,
    pending_authorizations,
    wait_for_authorizations,
)
from evercert.acme.renewal_info import ari_cert_id, renewal_window
from evercert.core.errors import AcmeFailure
from evercert.pki import (
    build_csr,
    certificate_info,
    chain_verifies,
    generate_private_key,
    parse_pem_chain,
    private_key_to_pem,
)
from evercert_devenv.pebble import Pebble

pytestmark = pytest.mark.integration

CHALLENGE_PREFIX = "/.well-known/acme-challenge/"


class ChallengeResponder:
    """A stand-in for the solver: answers HTTP-01 requests on Pebble's validation port by Host and token."""

    def __init__(self, port: int) -> None:
        self.answers: dict[tuple[str, str], str] = {}
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = self.headers.get("Host", "").rsplit(":", 1)[0]
                token = self.path.removeprefix(CHALLENGE_PREFIX)
                body = answers.get((host, token))
                self.send_response(200 if body else 404)
                self.end_headers()
                self.wfile.write((body or "").encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def serve(self, tasks: list[Http01Task]) -> None:
        for task in tasks:
            self.answers[(task.dns_name, task.token)] = task.key_authorization


def _http01_tasks(client: acme_client.ClientV2, order: OrderSnapshot) -> list[Http01Task]:
    tasks = [challenge_task(client, authz, "http-01") for authz in pending_authorizations(client, order)]
    assert all(isinstance(task, Http01Task) for task in tasks)
    return tasks  # type: ignore[return-value]


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pebble]:
    server = Pebble(tmp_path_factory.mktemp("pebble"), extra_env={"PEBBLE_ALTERNATE_ROOTS": "1"})
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def settings(pebble: Pebble) -> AccountSettings:
    return AccountSettings(
        server=pebble.directory_url, email="ops@evercert.test", verify=str(pebble.ca_bundle_path)
    )


@pytest.fixture(scope="module")
def account(settings: AccountSettings) -> tuple[bytes, str]:
    key_pem = generate_account_key()
    return key_pem, register_account(settings, key_pem)


@pytest.fixture
def client(settings: AccountSettings, account: tuple[bytes, str]) -> acme_client.ClientV2:
    return connect(settings, *account)


@pytest.fixture
def responder(pebble: Pebble) -> Iterator[ChallengeResponder]:
    responder = ChallengeResponder(pebble.http01_port)
    responder.thread.start()
    yield responder
    responder.server.shutdown()
    responder.server.server_close()


def _deadline(seconds: float = 30) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _csr(*names: str) -> bytes:
    return build_csr(generate_private_key("ECDSA", 256), names, None)


def _issue(
    client: acme_client.ClientV2, responder: ChallengeResponder, csr_pem: bytes, **order_options: str
) -> str:
    order = create_order(client, csr_pem, **order_options)
    return _complete(client, responder, order, csr_pem)


def _complete(
    client: acme_client.ClientV2,
    responder: ChallengeResponder,
    order: OrderSnapshot,
    csr_pem: bytes,
    preferred_chain: str | None = None,
) -> str:
    tasks = _http01_tasks(client, order)
    responder.serve(tasks)
    for task in tasks:
        answer_challenge(client, task)
    wait_for_authorizations(client, order, _deadline())
    return finalize_order(client, order, csr_pem, _deadline(), preferred_chain=preferred_chain)


def _management_root(pebble: Pebble, index: int) -> bytes:
    url = f"https://127.0.0.1:{pebble.management_port}/roots/{index}"
    with urllib.request.urlopen(url, context=pebble.tls_context(), timeout=10) as response:
        return bytes(response.read())


def test_registering_again_with_the_same_key_returns_the_same_account(
    settings: AccountSettings, account: tuple[bytes, str]
):
    key_pem, uri = account

    assert uri.startswith("https://127.0.0.1:")
    assert register_account(settings, key_pem) == uri
    assert register_account(settings, generate_account_key()) != uri


def test_user_provided_rsa_account_keys_can_register_and_order(settings: AccountSettings):
    key_pem = private_key_to_pem(generate_private_key("RSA", 2048))

    client = connect(settings, key_pem, register_account(settings, key_pem))

    assert create_order(client, _csr("rsa-account.test")).status == "pending"


def test_issues_one_certificate_for_two_names(
    pebble: Pebble, client: acme_client.ClientV2, responder: ChallengeResponder
):
    names = ("www.two-names.test", "api.two-names.test")

    chain = _issue(client, responder, _csr(*names))

    leaf = certificate_info(parse_pem_chain(chain.encode())[0])
    assert set(leaf.dns_names) == set(names)
    assert all(chain_verifies(chain.encode(), pebble.root_pem(), name) for name in names)


def test_resumes_an_order_from_its_stored_snapshot(
    settings: AccountSettings,
    account: tuple[bytes, str],
    client: acme_client.ClientV2,
    responder: ChallengeResponder,
    pebble: Pebble,
):
    csr_pem = _csr("resume.test")
    stored_url = create_order(client, csr_pem).url  # all a Certificate's status keeps of it

    restarted = connect(settings, *account)
    order = load_order(restarted, stored_url)
    assert order.status == "pending" and len(order.authorization_urls) == 1
    chain = _complete(restarted, responder, order, csr_pem)

    done = load_order(restarted, order.url)
    assert done.status == "valid" and done.certificate_url
    assert finalize_order(restarted, done, csr_pem, _deadline()) == chain
    assert chain_verifies(chain.encode(), pebble.root_pem(), "resume.test")


def test_answering_a_challenge_twice_is_harmless(client: acme_client.ClientV2, responder: ChallengeResponder):
    csr_pem = _csr("twice.test")
    order = create_order(client, csr_pem)
    tasks = _http01_tasks(client, order)
    responder.serve(tasks)

    answer_challenge(client, tasks[0])
    answer_challenge(client, tasks[0])
    wait_for_authorizations(client, order, _deadline())

    assert _http01_tasks(client, order) == []
    answer_challenge(client, tasks[0])


def test_validation_failure_names_the_cause(client: acme_client.ClientV2):
    order = create_order(client, _csr("nobody-listens.test"))
    for task in _http01_tasks(client, order):
        answer_challenge(client, task)

    with pytest.raises(AcmeFailure) as caught:
        wait_for_authorizations(client, order, _deadline())

    assert caught.value.reason == "ACMEValidationFailed"
    assert not caught.value.transient
    assert "nobody-listens.test" in caught.value.message
    assert "connection refused" in caught.value.message.lower()


def test_waiting_gives_up_at_the_deadline(client: acme_client.ClientV2):
    order = create_order(client, _csr("never-answered.test"))

    with pytest.raises(AcmeFailure) as caught:
        wait_for_authorizations(client, order, _deadline(0.5))

    assert caught.value.reason == "ACMETimeout"
    assert caught.value.transient


def test_wildcards_are_refused_for_http01(client: acme_client.ClientV2):
    order = create_order(client, _csr("*.wild.test"))

    with pytest.raises(AcmeFailure) as caught:
        _http01_tasks(client, order)

    assert caught.value.reason == "ACMEChallengeUnsupported"


def test_profile_selects_the_certificate_lifetime(
    client: acme_client.ClientV2, responder: ChallengeResponder
):
    chain = _issue(client, responder, _csr("short.test"), profile="shortlived")

    leaf = certificate_info(parse_pem_chain(chain.encode())[0])
    assert leaf.not_after - leaf.not_before <= timedelta(days=6, seconds=1)


def test_preferred_chain_picks_the_alternate_whose_top_issuer_matches(
    pebble: Pebble, client: acme_client.ClientV2, responder: ChallengeResponder
):
    alternate_root = _management_root(pebble, 1)
    alternate_name = certificate_info(parse_pem_chain(alternate_root)[0]).common_name
    csr_pem = _csr("chain.test")

    chain = _complete(
        client, responder, create_order(client, csr_pem), csr_pem, preferred_chain=alternate_name
    )

    assert chain_verifies(chain.encode(), alternate_root, "chain.test")
    assert not chain_verifies(chain.encode(), pebble.root_pem(), "chain.test")


def test_renewal_sends_replaces_and_reads_the_ari_window(
    client: acme_client.ClientV2, responder: ChallengeResponder
):
    # Without a profile Pebble may pick its 30 s one, whose ARI window starts at issuance.
    first = _issue(client, responder, _csr("renew.test"), profile="default").encode()
    leaf = certificate_info(parse_pem_chain(first)[0])

    cert_id = ari_cert_id(parse_pem_chain(first)[0])
    window = renewal_window(client, cert_id)
    assert window is not None
    start, end = window
    assert leaf.not_before < start < end < leaf.not_after

    assert _ari_parts(cert_id) == (_authority_key_id(first), leaf.serial_hex)
    second = _issue(client, responder, _csr("renew.test"), replaces=cert_id)
    assert certificate_info(parse_pem_chain(second.encode())[0]).serial_hex != leaf.serial_hex

    # Pebble marks the first certificate replaced only when `replaces` really reached it.
    with pytest.raises(AcmeFailure) as caught:
        create_order(client, _csr("renew.test"), replaces=cert_id)
    assert "alreadyReplaced" in caught.value.message


def _ari_parts(cert_id: str) -> tuple[bytes, str]:
    aki, serial = (base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in cert_id.split("."))
    return aki, format(int.from_bytes(serial, "big", signed=True), "x")


def _authority_key_id(cert_pem: bytes) -> bytes | None:
    leaf = parse_pem_chain(cert_pem)[0]
    return leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
