"""Alert delivery: each raised or resolved alert POSTed as JSON to ``STREAMER_ALERT_WEBHOOK`` and to the stream's
own ``alert_webhook``, signed, retried with backoff, never holding up the service.

Signature (the scheme the comment webhook checks, comments/sources/webhook.py): ``X-Timestamp`` is the Unix time
in seconds, ``X-Signature`` is ``sha256=`` + hex HMAC-SHA256 with ``STREAMER_ALERT_SECRET`` over
``timestamp + "." + body``. A receiver recomputes it over the raw body, compares in constant time and refuses a
timestamp more than five minutes off (a replay). ``X-Alert-Id`` repeats the alert's id: a retry of a delivery that
did arrive carries the same id and body, so a receiver can drop the duplicate.

Each destination has its own queue and sender task, so a dead receiver delays only its own alerts: a delivery is
tried up to ``len(RETRY_BACKOFF_S) + 1`` times (a 2xx ends it; a 4xx other than 408/429 is final too), and a queue
that fills drops its oldest alert. Webhook URLs are logged masked (a path may be the secret) and the secret never.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..comments.sources.webhook import sign
from .bus import Event
from .storage import Store
from .tasks import TaskGroup

log = logging.getLogger(__name__)

RETRY_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
TIMEOUT_S = 5.0
QUEUE_MAX = 500
MASK = "****"
USER_AGENT = "streamer-alerts/1"


def redact_webhook(url: str) -> str:
    """``url`` as it may be shown or logged: scheme and host only (chat webhooks carry their secret in the path)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    rest = parts.path.strip("/") or parts.query or parts.username
    return f"{parts.scheme}://{host}{port}" + (f"/{MASK}" if rest else "")


def check_webhook_url(url: str) -> str:
    """A webhook URL: http(s) with a host; ValueError (naming only the masked URL) otherwise."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{redact_webhook(url)!r}: an alert webhook is an http:// or https:// URL")
    return url


@dataclass(slots=True)
class Delivery:
    url: str
    body: bytes
    alert_id: str


class _Destination:
    def __init__(self, url: str) -> None:
        self.url = url
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_MAX)
        self.dropped = 0


StreamWebhook = Callable[[str], Awaitable[str | None]]  # stream id -> its alert_webhook (None: none)


def stream_webhooks(store: Store) -> StreamWebhook:
    """Each stream's own ``alert_webhook`` setting, read when an alert of it goes out (alerts are rare)."""

    async def lookup(stream_id: str) -> str | None:
        row = await asyncio.to_thread(store.get_stream, stream_id)
        url = row.settings.get("alert_webhook") if row is not None else None
        return url if isinstance(url, str) and url else None

    return lookup


class AlertWebhooks:
    """``send`` queues an alert for the service webhook and the stream's own; owned by the event loop."""

    def __init__(self, url: str | None, secret: str | None, stream_webhook: StreamWebhook,
                 backoff_s: tuple[float, ...] = RETRY_BACKOFF_S, clock: Callable[[], float] = time.time) -> None:
        self.url = check_webhook_url(url) if url else None  # ValueError naming the masked URL
        self._secret = secret
        self.stream_webhook = stream_webhook
        self.backoff_s = backoff_s
        self.clock = clock
        self._tasks = TaskGroup("alert-webhook")
        self._destinations: dict[str, _Destination] = {}
        self._client = httpx.AsyncClient(timeout=TIMEOUT_S, headers={"User-Agent": USER_AGENT})
        self.delivered = 0
        self.failed = 0
        self._warned_unsigned = False
        if url and not secret:
            self._queue_refused()

    def _queue_refused(self) -> None:
        self._warned_unsigned = True
        log.error("alert webhooks need STREAMER_ALERT_SECRET to sign with; alerts are not sent")

    def send(self, event: Event) -> None:
        """Never blocks: the stream's webhook is looked up and both are posted by background tasks."""
        if event.get("type") != "alert":
            return
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        alert_id = str(event.get("id"))
        if self.url:
            self._queue(Delivery(self.url, body, alert_id))
        if isinstance(stream := event.get("stream"), str):
            self._tasks.spawn(self._to_stream(stream, body, alert_id), f"lookup:{alert_id}")

    async def _to_stream(self, stream: str, body: bytes, alert_id: str) -> None:
        url = await self.stream_webhook(stream)
        if url and url != self.url:
            self._queue(Delivery(url, body, alert_id))

    def _queue(self, delivery: Delivery) -> None:
        if not self._secret:
            if not self._warned_unsigned:
                self._queue_refused()
            return
        dest = self._destinations.get(delivery.url)
        if dest is None:
            dest = self._destinations[delivery.url] = _Destination(delivery.url)
            self._tasks.spawn(self._sender(dest), f"send:{len(self._destinations)}")
        if dest.queue.full():
            dest.queue.get_nowait()
            dest.dropped += 1
            log.warning("alert webhook %s: queue full, oldest alert dropped (%d so far)",
                        redact_webhook(dest.url), dest.dropped)
        dest.queue.put_nowait(delivery)

    def headers(self, body: bytes) -> dict[str, str]:
        stamp = str(int(self.clock()))
        return {"Content-Type": "application/json", "X-Timestamp": stamp,
                "X-Signature": sign(self._secret or "", stamp, body)}

    async def _sender(self, dest: _Destination) -> None:
        while True:
            delivery = await dest.queue.get()
            await self._deliver(delivery)

    async def _deliver(self, d: Delivery) -> bool:
        shown = redact_webhook(d.url)
        for attempt in range(len(self.backoff_s) + 1):
            why: str
            try:
                # signed afresh each try: a retry minutes later must still pass the receiver's replay window
                answer = await self._client.post(d.url, content=d.body,
                                                 headers={**self.headers(d.body), "X-Alert-Id": d.alert_id})
            except httpx.HTTPError as e:
                why = type(e).__name__
            else:
                if answer.is_success:
                    self.delivered += 1
                    return True
                why = f"HTTP {answer.status_code}"
                if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
                    break  # the receiver refuses this alert: trying again will not change its mind
            if attempt < len(self.backoff_s):
                log.warning("alert %s to %s: %s; retrying in %.1f s", d.alert_id, shown, why, self.backoff_s[attempt])
                await asyncio.sleep(self.backoff_s[attempt])
        self.failed += 1
        log.error("alert %s to %s not delivered: %s", d.alert_id, shown, why)
        return False

    async def close(self) -> None:
        await self._tasks.close(timeout_s=1.0)
        await self._client.aclose()
