"""The image's Python packages as a CycloneDX 1.5 SBOM (JSON), read from the installed metadata.

    python3 hack/sbom.py TREE VERSION INPUTS_KEY > evercert.cdx.json

Deterministic: no time but SOURCE_DATE_EPOCH, a serial number derived from the image's inputs."""

from __future__ import annotations

import datetime
import json
import os
import sys
import uuid
from email.parser import HeaderParser
from pathlib import Path


def packages(tree: Path) -> list[dict[str, object]]:
    found = []
    for metadata in sorted(tree.glob("usr/local/lib/python3*/dist-packages/*.dist-info/METADATA")):
        headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
        name, version = headers["Name"], headers["Version"]
        component: dict[str, object] = {
            "type": "library",
            "bom-ref": f"pkg:pypi/{name.lower()}@{version}",
            "name": name,
            "version": version,
            "purl": f"pkg:pypi/{name.lower().replace('_', '-')}@{version}",
        }
        expression, text = headers.get("License-Expression"), headers.get("License") or ""
        if expression:
            component["licenses"] = [{"expression": expression}]
        elif text and "\n" not in text and len(text) < 100:
            component["licenses"] = [{"license": {"name": text}}]
        found.append(component)
    return found


def main(tree: str, version: str, key: str) -> None:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'evercert:{version}:{key}')}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "component": {"type": "container", "name": "evercert", "version": version},
        },
        "components": [c for c in packages(Path(tree)) if c["name"] != "evercert"],
    }
    json.dump(bom, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
