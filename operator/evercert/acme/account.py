"""The ACME account: its settings, its key, and registering it once (idempotently) with the CA."""

from __future__ import annotations

from typing import Any

from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages

from evercert.acme.client import open_client
from evercert.acme.errors import acme_call
from evercert.acme.keys import generate_account_key, jwk_from_pem
from evercert.acme.settings import AccountSettings
from evercert.core import reasons
from evercert.core.errors import AcmeFailure

__all__ = ["AccountSettings", "generate_account_key", "jwk_from_pem", "register_account"]


@acme_call(problem_reason=reasons.ACME_ACCOUNT_FAILED)
def register_account(settings: AccountSettings, key_pem: bytes) -> str:
    """The URI of the account for this key: the existing one, else a newly registered one."""
    client = open_client(settings, key_pem)
    existing = _existing_account_uri(client)
    if existing:
        return existing
    try:
        return str(client.new_account(_new_registration(settings, client)).uri)
    except acme_errors.ConflictError as exc:
        return str(exc.location)


def _existing_account_uri(client: acme_client.ClientV2) -> str | None:
    try:
        regr = client.new_account(messages.NewRegistration(only_return_existing=True))
    except acme_errors.ConflictError as exc:
        return str(exc.location)
    except messages.Error as exc:
        if exc.code == "accountDoesNotExist":
            return None
        raise
    return str(regr.uri)


def _new_registration(settings: AccountSettings, client: acme_client.ClientV2) -> messages.NewRegistration:
    return messages.NewRegistration.from_data(
        email=settings.email,
        terms_of_service_agreed=True,
        external_account_binding=_external_account_binding(settings, client),
    )


def _external_account_binding(
    settings: AccountSettings, client: acme_client.ClientV2
) -> dict[str, Any] | None:
    if not (settings.eab_key_id and settings.eab_hmac_key_b64):
        return None
    try:
        return messages.ExternalAccountBinding.from_data(
            account_public_key=client.net.key.public_key(),
            kid=settings.eab_key_id,
            hmac_key=settings.eab_hmac_key_b64,
            directory=client.directory,
            hmac_alg=settings.eab_algorithm,
        )
    except ValueError as exc:  # bad base64 or algorithm; the text never quotes the key
        raise AcmeFailure(reasons.ACME_ACCOUNT_FAILED, f"external account binding: {exc}") from None
