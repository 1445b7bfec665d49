"""What a Certificate asks to find in its Secret beside tls.crt and tls.key (cert-manager's field names):
`additionalOutputFormats`, `privateKey.encoding` and `keystores` (PKCS#12, JKS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast, get_args

from ..core.errors import InvalidSpec
from ..pki.formats import KeyEncoding
from ..pki.pkcs12 import Pkcs12Profile
from .fields import Fields
from .names import check_object_name

KEY_ENCODINGS: tuple[str, ...] = get_args(KeyEncoding)
# evercert has always written PKCS#8 (cert-manager's default is PKCS1: set it to keep that).
DEFAULT_KEY_ENCODING: KeyEncoding = "PKCS8"
OUTPUT_FORMATS: tuple[str, ...] = ("CombinedPEM", "DER")
PKCS12_PROFILES: tuple[str, ...] = get_args(Pkcs12Profile)
DEFAULT_JKS_ALIAS = "certificate"
# The alias of the CA certificate in keystore.jks and truststore.jks: the key's alias must differ.
JKS_CA_ALIAS = "ca"
MAX_JKS_ALIAS_LENGTH = 255


@dataclass(frozen=True)
class PasswordSource:
    """A keystore password: given in the spec, or the key `key` of the Secret `secret_name`."""

    literal: str | None = None
    secret_name: str | None = None
    secret_key: str | None = None


@dataclass(frozen=True)
class Pkcs12Keystore:
    password: PasswordSource
    profile: Pkcs12Profile = "LegacyRC2"


@dataclass(frozen=True)
class JksKeystore:
    password: PasswordSource
    alias: str = DEFAULT_JKS_ALIAS


@dataclass(frozen=True)
class Outputs:
    """Every file the Secret holds beyond tls.crt, tls.key and ca.crt, and how tls.key is encoded."""

    key_encoding: KeyEncoding = DEFAULT_KEY_ENCODING
    combined_pem: bool = False
    der: bool = False
    pkcs12: Pkcs12Keystore | None = None
    jks: JksKeystore | None = None

    @property
    def password_sources(self) -> tuple[PasswordSource, ...]:
        return tuple(store.password for store in (self.pkcs12, self.jks) if store is not None)

    @property
    def is_default(self) -> bool:
        return self == Outputs()


def parse_outputs(spec: Fields) -> Outputs:
    """The outputs a spec asks for; InvalidSpec names the field to fix."""
    keystores = spec.section("keystores")
    return Outputs(
        key_encoding=cast(
            KeyEncoding, spec.section("privateKey").choice("encoding", KEY_ENCODINGS, DEFAULT_KEY_ENCODING)
        ),
        **_formats(spec),
        pkcs12=_pkcs12(keystores.section("pkcs12")),
        jks=_jks(keystores.section("jks")),
    )


def _formats(spec: Fields) -> dict[str, bool]:
    chosen = [item.choice("type", OUTPUT_FORMATS, "") for item in spec.sections("additionalOutputFormats")]
    if len(set(chosen)) != len(chosen):
        raise InvalidSpec(f"{spec.path_of('additionalOutputFormats')} must name each type once")
    return {"combined_pem": "CombinedPEM" in chosen, "der": "DER" in chosen}


def _pkcs12(section: Fields) -> Pkcs12Keystore | None:
    if not section.optional_bool("create"):
        return None
    profile = cast(Pkcs12Profile, section.choice("profile", PKCS12_PROFILES, "LegacyRC2"))
    return Pkcs12Keystore(_password(section), profile)


def _jks(section: Fields) -> JksKeystore | None:
    if not section.optional_bool("create"):
        return None
    alias = section.optional_str("alias") or DEFAULT_JKS_ALIAS
    path = section.path_of("alias")
    if alias.lower() == JKS_CA_ALIAS:
        raise InvalidSpec(
            f"{path} is {alias!r}, the alias evercert gives the CA certificate in keystore.jks "
            f"(JKS aliases ignore case): choose another, or leave it unset for {DEFAULT_JKS_ALIAS!r}"
        )
    if len(alias) > MAX_JKS_ALIAS_LENGTH or not alias.isprintable():
        raise InvalidSpec(f"{path} must be printable and at most {MAX_JKS_ALIAS_LENGTH} characters long")
    return JksKeystore(_password(section), alias)


def _password(section: Fields) -> PasswordSource:
    literal = section.optional_str("password")
    ref = section.section("passwordSecretRef")
    given_ref = bool(ref.data)
    if (literal is None) == (not given_ref):
        raise InvalidSpec(
            f"{section.path} needs exactly one of password and passwordSecretRef "
            f"({'both are set' if given_ref else 'neither is set'})"
        )
    if literal is not None:
        return PasswordSource(literal=literal)
    name = check_object_name(ref.required_str("name"), ref.path_of("name"))
    return PasswordSource(secret_name=name, secret_key=ref.required_str("key"))


def password_secret_names(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The Secrets the body's keystores read a password from, read from the raw body without parsing
    the rest (asked at every Certificate event: most have no keystores)."""
    keystores = (body.get("spec") or {}).get("keystores")
    if not isinstance(keystores, Mapping):
        return ()
    names = []
    for store in (keystores.get("pkcs12"), keystores.get("jks")):
        ref = store.get("passwordSecretRef") if isinstance(store, Mapping) and store.get("create") else None
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str) and ref["name"]:
            names.append(ref["name"])
    return tuple(names)
