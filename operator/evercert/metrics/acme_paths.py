"""The kind of ACME resource a URL names (`new-order`, `authz`, ...): a label value that never holds IDs.

URLs listed in a CA's directory are known exactly once the directory was fetched (`learn_directory`);
the others (orders, authorizations, challenges, certificates, accounts) are recognised by their shape.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

OTHER = "other"
DIRECTORY = "directory"
RENEWAL_INFO = "renewal-info"

# RFC 8555 §7.1.1 and RFC 9773 directory fields -> path kinds.
DIRECTORY_KINDS = {
    "newNonce": "new-nonce",
    "newAccount": "new-account",
    "newOrder": "new-order",
    "newAuthz": "new-authz",
    "revokeCert": "revoke-cert",
    "keyChange": "key-change",
    "renewalInfo": RENEWAL_INFO,
}

# Resources named by the CA's own URLs, tried in order on the path's segments (lower case): the first
# kind any segment shows wins. Finalize before order (`/finalize-order/`, `/order/<id>/finalize`), the
# specific kinds before "order", "account" and "cert" (`/revoke-cert`, `/rollover-account-key`).
_SHAPES = (
    (DIRECTORY, re.compile(r"^dir(ectory)?$")),
    ("finalize", re.compile(r"finali[sz]e")),
    ("challenge", re.compile(r"chal")),
    ("authz", re.compile(r"authz|authorization")),
    (RENEWAL_INFO, re.compile(r"renewal-?info|\bari\b")),
    ("new-nonce", re.compile(r"new-?nonce|nonce")),
    ("new-account", re.compile(r"new-?acc(oun)?t|new-?reg")),
    ("new-order", re.compile(r"new-?order")),
    ("revoke-cert", re.compile(r"revoke")),
    ("key-change", re.compile(r"key-?change|rollover")),
    ("order", re.compile(r"order")),
    ("account", re.compile(r"acc(oun)?t|\breg\b|registration")),
    ("certificate", re.compile(r"cert")),
)

_known: dict[str, str] = {}  # directory URLs and the URLs it lists -> kind
_prefixes: dict[str, str] = {}  # URL prefixes (renewal info is the listed URL + "/<id>") -> kind
_lock = threading.Lock()


def learn_directory(directory_url: str, resources: Mapping[str, object]) -> None:
    """Remember the URLs a CA's directory lists (`resources`: its JSON fields), and the directory's own."""
    found = {directory_url: DIRECTORY}
    prefixes = {}
    for field, kind in DIRECTORY_KINDS.items():
        url = resources.get(field)
        if isinstance(url, str) and url:
            found[url] = kind
            if kind == RENEWAL_INFO:
                prefixes[url.rstrip("/") + "/"] = kind
    with _lock:
        _known.update(found)
        _prefixes.update(prefixes)


def forget_directories() -> None:
    """Forget what learn_directory learned (for tests)."""
    with _lock:
        _known.clear()
        _prefixes.clear()


def path_kind(url: str) -> str:
    """The resource kind of `url`: from a directory learned, else from the URL's shape, else "other"."""
    known = _known.get(url)
    if known:
        return known
    for prefix, kind in list(_prefixes.items()):
        if url.startswith(prefix):
            return kind
    return kind_from_shape(urlsplit(url).path)


def kind_from_shape(path: str) -> str:
    """The kind a path's segments suggest, for CAs whose directory was not learned (or unlisted URLs)."""
    segments = [segment.lower() for segment in path.split("/") if segment]
    for kind, pattern in _SHAPES:
        if any(pattern.search(segment) for segment in segments):
            return kind
    return OTHER
