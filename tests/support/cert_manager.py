"""What cert-manager v1.21 leaves in a cluster, made without it: an ACME account at the CA, certificates
ordered with that account, and the tls Secrets written as its controller writes them (annotations,
label, PKCS#1 RSA keys), plus its controller's leader-election Lease."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import josepy as jose
from acme import challenges, client, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

USER_AGENT = "cert-manager-stand-in (tests)"


def rsa_pem(key: rsa.RSAPrivateKey) -> bytes:
    """As cert-manager encodes RSA keys by default (privateKey.encoding PKCS1)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@dataclass
class Account:
    """cert-manager's ACME account of one issuer: its key (as in its Secret) and URI (its status)."""

    key: rsa.RSAPrivateKey
    uri: str
    client: client.ClientV2

    @classmethod
    def register(cls, directory_url: str, ca_bundle: str, eab: tuple[str, str] | None = None) -> Account:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jose.JWKRSA(key=key)
        net = client.ClientNetwork(jwk, verify_ssl=ca_bundle, user_agent=USER_AGENT)
        directory = client.ClientV2.get_directory(directory_url, net)
        acme = client.ClientV2(directory, net)
        binding = None
        if eab is not None:
            binding = messages.ExternalAccountBinding.from_data(jwk.public_key(), eab[0], eab[1], directory)
        registration = messages.NewRegistration.from_data(
            email="ops@example.org", terms_of_service_agreed=True, external_account_binding=binding
        )
        account = acme.new_account(registration)
        return cls(key, account.uri, acme)

    @property
    def key_pem(self) -> bytes:
        return rsa_pem(self.key)

    def issue(self, names: Sequence[str], profile: str = "default") -> tuple[bytes, bytes]:
        """(chain PEM, key PEM) for the names; the CA validates nothing (PEBBLE_VA_ALWAYS_VALID)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        san = x509.SubjectAlternativeName([x509.DNSName(name) for name in names])
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .add_extension(san, critical=False)
            .sign(key, hashes.SHA256())
        )
        order = self.client.new_order(csr.public_bytes(serialization.Encoding.PEM), profile=profile)
        for authorization in order.authorizations:
            http01 = next(c for c in authorization.body.challenges if isinstance(c.chall, challenges.HTTP01))
            self.client.answer_challenge(http01, http01.response(self.client.net.key))
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
        done = self.client.poll_and_finalize(order, deadline)
        return done.fullchain_pem.encode(), rsa_pem(key)


def tls_secret(
    namespace: str,
    secret_name: str,
    certificate: str,
    issuer: tuple[str, str],
    chain_pem: bytes,
    key_pem: bytes,
) -> dict[str, Any]:
    """The Secret as cert-manager's controller writes it for a Certificate."""
    leaf = x509.load_pem_x509_certificates(chain_pem)[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    common = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    annotations = {
        "cert-manager.io/certificate-name": certificate,
        "cert-manager.io/issuer-name": issuer[0],
        "cert-manager.io/issuer-kind": issuer[1],
        "cert-manager.io/issuer-group": "cert-manager.io",
        "cert-manager.io/common-name": str(common[0].value) if common else "",
        "cert-manager.io/alt-names": ",".join(names.get_values_for_type(x509.DNSName)),
        "cert-manager.io/ip-sans": "",
        "cert-manager.io/uri-sans": "",
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": secret_name,
            "namespace": namespace,
            "annotations": annotations,
            "labels": {"controller.cert-manager.io/fao": "true"},
        },
        "data": {
            "tls.crt": base64.b64encode(chain_pem).decode(),
            "tls.key": base64.b64encode(key_pem).decode(),
        },
    }


def key_secret(namespace: str, name: str, field: str, value: bytes) -> dict[str, Any]:
    """An account key (tls.key) or EAB key Secret, as cert-manager keeps them."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace},
        "data": {field: base64.b64encode(value).decode()},
    }


def controller_lease(renewed: datetime.datetime, holder: str = "cert-manager-7d9f8-abcde") -> dict[str, Any]:
    """cert-manager's leader-election Lease as its controller keeps it renewed."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "cert-manager-controller", "namespace": "kube-system"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 60,
            "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
    }
