"""ACME Renewal Information (RFC 9773): a certificate's ARI ID and the CA's suggested renewal window."""

from __future__ import annotations

from datetime import datetime

from acme import client as acme_client
from acme import messages
from cryptography import x509
from josepy import b64encode

from evercert.acme.errors import acme_call


def ari_cert_id(leaf: x509.Certificate) -> str:
    """The ARI ID: base64url(AKI keyIdentifier) "." base64url(DER serial); ValueError without an AKI."""
    try:
        aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise ValueError("certificate has no authority key identifier") from None
    if aki.key_identifier is None:
        raise ValueError("certificate's authority key identifier has no keyIdentifier")
    # The serial as its DER INTEGER content: big-endian two's complement, with room for the sign bit.
    serial = leaf.serial_number.to_bytes((leaf.serial_number.bit_length() + 8) // 8, "big", signed=True)
    return f"{b64encode(aki.key_identifier).decode()}.{b64encode(serial).decode()}"


@acme_call()
def renewal_window(client: acme_client.ClientV2, cert_id: str) -> tuple[datetime, datetime] | None:
    """The CA's suggested (start, end) to renew this certificate; None when the CA offers no ARI."""
    base_url = getattr(client.directory, "renewalInfo", None)
    if not base_url:
        return None
    url = f"{base_url.rstrip('/')}/{cert_id}"
    response = client.net.get(url, content_type=client.net.JSON_CONTENT_TYPE)
    window = messages.RenewalInfo.from_json(response.json()).suggested_window
    return window.start, window.end
