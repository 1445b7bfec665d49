"""The certificate chain an order ends with: the default one, or the alternate the issuer prefers."""

from __future__ import annotations

from acme import client as acme_client

from evercert.acme.client import links, post_as_get
from evercert.pki import certificate_info, parse_pem_chain


def download_chain(client: acme_client.ClientV2, certificate_url: str, preferred_chain: str | None) -> str:
    """The default chain, or the first alternate whose top certificate was issued by `preferred_chain`."""
    response = post_as_get(client, certificate_url)
    if not preferred_chain or _top_issuer(response.text) == preferred_chain:
        return response.text
    for url in links(response, "alternate"):
        chain = post_as_get(client, url).text
        if _top_issuer(chain) == preferred_chain:
            return chain
    return response.text


def _top_issuer(chain_pem: str) -> str | None:
    return certificate_info(parse_pem_chain(chain_pem.encode())[-1]).issuer_common_name
