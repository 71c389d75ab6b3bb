"""The running service's parts, built and torn down in order by the app's lifespan.

Startup: database (migrated) -> tokens -> bus, previews, backend -> controller -> recorder, metrics, alerts,
scheduler tasks -> adopt the workers an earlier service left on air, resume the other streams that should be live.
Shutdown reverses it: the scheduler stops first (so it cannot start a stream mid-shutdown), then the previews, the workers
(stopped, their last events still recorded; or left on air with ``keep_streams_on_exit``), the tasks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from .alert_webhook import AlertWebhooks, stream_webhooks
from .alerts import AlertEvaluator, schedule_windows
from .auth import TokenAuth, announce_admin_token
from .backend import StreamBackend
from .bus import EventBus
from .config import ServiceSettings
from .controller import Controller
from .metrics import Metrics
from .preview.hub import PreviewHub
from .preview.whep import WhepViewers
from .recorder import Recorder
from .scheduler import Scheduler
from .storage import Store, open_database
from .supervisor import Supervisor
from .tasks import TaskGroup

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: ServiceSettings
    engine: Engine
    store: Store
    auth: TokenAuth
    bus: EventBus
    previews: PreviewHub
    whep: WhepViewers
    backend: StreamBackend
    controller: Controller
    recorder: Recorder
    metrics: Metrics
    scheduler: Scheduler
    alerts: AlertEvaluator
    alert_webhooks: AlertWebhooks
    tasks: TaskGroup = field(default_factory=lambda: TaskGroup("service"))
    admin_token: str | None = None  # generated at first start (already printed); tests read it here
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)  # for signal handlers

    @classmethod
    async def start(cls, settings: ServiceSettings) -> Services:
        engine = await asyncio.to_thread(open_database, settings.db_url)
        store = Store(engine)
        auth = TokenAuth(store)
        generated = await asyncio.to_thread(auth.bootstrap, settings.admin_token)
        if generated and settings.announce_admin_token:
            announce_admin_token(generated)
        bus = EventBus()
        previews = PreviewHub()
        backend = Supervisor(bus, previews, settings.worker_dir, max_streams=settings.max_streams,
                             backoff_s=settings.restart_backoff_s, orphan_s=settings.worker_orphan_s,
                             events_kept=settings.worker_events_kept, keep_on_close=settings.keep_streams_on_exit)
        controller = Controller(store, backend, settings)
        recorder = Recorder(store, bus)
        backend.note_heard_when_recorded(recorder)
        webhooks = AlertWebhooks(settings.alert_webhook, settings.alert_secret, stream_webhooks(store))
        alerts = AlertEvaluator(bus, settings.alert_rules, schedule_windows(store),
                                lambda sid: backend.state(sid) == "live", webhooks.send)
        svc = cls(settings, engine, store, auth, bus, previews, WhepViewers(), backend, controller,
                  recorder, Metrics(backend, bus, recorder),
                  Scheduler(store, controller, backend, settings.scheduler_tick_s, settings.schedule_lead_s),
                  alerts, webhooks, admin_token=generated)
        svc.tasks.spawn(svc.recorder.run(), "recorder")
        svc.tasks.spawn(svc.metrics.run(), "metrics")
        svc.tasks.spawn(svc.alerts.run(), "alerts")
        resumed = await controller.resume()  # adopts first
        if resumed:
            log.info("resumed %d stream(s): %s", len(resumed), ", ".join(resumed))
        svc.tasks.spawn(svc.scheduler.run(), "scheduler")
        return svc

    async def close(self) -> None:
        for task_name in ("scheduler",):
            await self.tasks.cancel(task_name)
        self.previews.close()
        await self.whep.close()
        await self.controller.close()
        await asyncio.sleep(0.05)  # let the workers' last events reach the recorder's queue
        await self.recorder.flush()
        await self.tasks.close()
        await self.alert_webhooks.close()
        await asyncio.to_thread(self.engine.dispose)
