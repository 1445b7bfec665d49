"""How to reach a CA as one account: plain settings, shared by the client and account registration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSettings:
    """Where the account lives and how to reach the CA; `verify` is a bool or a CA bundle path."""

    server: str
    email: str | None = None
    eab_key_id: str | None = None
    eab_hmac_key_b64: str | None = None
    eab_algorithm: str = "HS256"
    verify: bool | str = True
    user_agent: str = "evercert/0.1"
