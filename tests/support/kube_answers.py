"""What kubernetes_asyncio hands back for a call made with `_preload_content=False`: the raw answer."""

from __future__ import annotations

import json
from typing import Any


class Answer:
    """Just enough of aiohttp's ClientResponse for evercert.kube.client.answer."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status = status
        self.reason = "OK" if status < 300 else "Error"
        self.headers: dict[str, str] = {}
        self._data = json.dumps(body).encode() if body is not None else b""

    async def read(self) -> bytes:
        return self._data

    def release(self) -> None:
        pass
