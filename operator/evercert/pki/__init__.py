"""Keys, CSRs, and certificate parsing and matching, on top of `cryptography`."""

from evercert.pki.certs import (
    CertificateInfo,
    certificate_info,
    chain_verifies,
    covers_names,
    key_matches_certificate,
    parse_pem_chain,
    public_key_type,
    signed_by,
    split_chain,
)
from evercert.pki.csr import build_csr
from evercert.pki.keys import (
    PrivateKey,
    generate_private_key,
    key_type,
    load_private_key_pem,
    private_key_to_pem,
    public_key_id,
)

__all__ = [
    "CertificateInfo",
    "PrivateKey",
    "build_csr",
    "certificate_info",
    "chain_verifies",
    "covers_names",
    "generate_private_key",
    "key_matches_certificate",
    "key_type",
    "load_private_key_pem",
    "parse_pem_chain",
    "private_key_to_pem",
    "public_key_id",
    "public_key_type",
    "signed_by",
    "split_chain",
]
