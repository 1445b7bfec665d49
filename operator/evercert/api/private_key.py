"""A Certificate's spec.privateKey: the key's algorithm and size, and whether it is kept at renewal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

from ..core.errors import InvalidSpec
from .fields import Fields

KeyAlgorithm = Literal["RSA", "ECDSA"]
RotationPolicy = Literal["Always", "Never"]
KEY_ALGORITHMS: tuple[str, ...] = get_args(KeyAlgorithm)
ROTATION_POLICIES: tuple[str, ...] = get_args(RotationPolicy)
KEY_SIZES: Mapping[str, tuple[int, ...]] = {"RSA": (2048, 3072, 4096), "ECDSA": (256, 384)}
# ECDSA P-256: certbot's and Caddy's default, Let's Encrypt's advice, and a tenth of RSA-2048's CPU.
DEFAULT_KEY_ALGORITHM: KeyAlgorithm = "ECDSA"


@dataclass(frozen=True)
class PrivateKeySpec:
    algorithm: KeyAlgorithm = DEFAULT_KEY_ALGORITHM
    size: int = 256
    rotation_policy: RotationPolicy = "Always"
    # The spec names neither algorithm nor size: the Secret's key of any supported type is kept (a
    # change of the default reissues nothing); new keys follow the default.
    defaulted: bool = False

    def accepts(self, found: tuple[str, int]) -> bool:
        """True when a key of this (algorithm, size) may stay: the spec's, or any supported when defaulted."""
        if self.defaulted:
            return found[1] in KEY_SIZES.get(found[0], ())
        return found == (self.algorithm, self.size)


def parse_private_key(section: Fields) -> PrivateKeySpec:
    size = section.optional_int("size")
    # A size alone names its algorithm (the sizes do not overlap): `size: 4096` stays RSA.
    implied = next((name for name, sizes in KEY_SIZES.items() if size in sizes), DEFAULT_KEY_ALGORITHM)
    algorithm = cast(KeyAlgorithm, section.choice("algorithm", KEY_ALGORITHMS, implied))
    allowed = KEY_SIZES[algorithm]
    defaulted = size is None and section.optional_str("algorithm") is None
    size = size or allowed[0]
    if size not in allowed:
        raise InvalidSpec(
            f"{section.path_of('size')}: {size} is not a size for {algorithm} keys: "
            f"use one of {', '.join(map(str, allowed))}"
        )
    return PrivateKeySpec(
        algorithm=algorithm,
        size=size,
        rotation_policy=cast(RotationPolicy, section.choice("rotationPolicy", ROTATION_POLICIES, "Always")),
        defaulted=defaulted,
    )
