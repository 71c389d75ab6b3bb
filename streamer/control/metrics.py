"""Prometheus metrics at ``/metrics``: per-stream gauges read from the latest health report at scrape time, and
counters fed by the event bus (sentences said, comments by action, restarts, alerts) and by an HTTP middleware;
the recorder's backlog (rows waiting for the database, how long it has been failing) is read at scrape time too.

Each app has its own registry, so several apps (tests) never clash over metric names.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from .backend import StreamBackend
from .bus import EventBus
from .recorder import Recorder

_HEALTH_GAUGES = {  # health key -> (metric, help)
    "fps_now": ("streamer_stream_fps", "frames per second over the last second"),
    "late_frames": ("streamer_stream_late_frames", "frames encoded after their deadline since the run started"),
    "lag_s": ("streamer_stream_lag_seconds", "how far the frame clock is behind the wall clock"),
    "av_offset_ms": ("streamer_stream_av_offset_ms", "audio time minus video time"),
    "comments_pending": ("streamer_stream_comments_pending", "comments waiting for a decision"),
    "utterances": ("streamer_stream_utterances", "sentences started in this run"),
}


class StreamCollector(Collector):
    def __init__(self, backend: StreamBackend) -> None:
        self.backend = backend

    def collect(self) -> Iterator[GaugeMetricFamily]:
        live = GaugeMetricFamily("streamer_streams_running", "streams with a worker process")
        live.add_metric([], len(self.backend.running()))
        yield live
        families = {k: GaugeMetricFamily(name, doc, labels=["stream"]) for k, (name, doc) in _HEALTH_GAUGES.items()}
        outputs = GaugeMetricFamily("streamer_output_up", "1 when an output is connected", labels=["stream", "output"])
        for sid in self.backend.running():
            h = self.backend.health(sid) or {}
            for key, fam in families.items():
                value = h.get(key)
                if isinstance(value, int | float):
                    fam.add_metric([sid], float(value))
            for name, out in (h.get("outputs") or {}).items():
                outputs.add_metric([sid, name], 1.0 if out.get("state") == "live" else 0.0)
        yield from families.values()
        yield outputs


class RecorderCollector(Collector):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        b = self.recorder.backlog()
        yield GaugeMetricFamily("streamer_recorder_rows_waiting", "rows kept for the database until it answers",
                                value=b["rows_waiting"])
        yield GaugeMetricFamily("streamer_database_failing_seconds", "how long database writes have been failing "
                                "(0 when they succeed)", value=b["failing_s"])
        yield CounterMetricFamily("streamer_recorder_rows_dropped", "oldest waiting rows dropped: the backlog was "
                                  "full", value=b["rows_dropped"])


class Metrics:
    def __init__(self, backend: StreamBackend, bus: EventBus, recorder: Recorder | None = None) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(StreamCollector(backend))
        if recorder is not None:
            self.registry.register(RecorderCollector(recorder))
        self.sentences = Counter("streamer_sentences_total", "sentences said on air", ["stream", "source"],
                                 registry=self.registry)
        self.comments = Counter("streamer_comments_total", "comments decided", ["stream", "action"],
                                registry=self.registry)
        self.restarts = Counter("streamer_worker_restarts_total", "worker processes restarted after a crash",
                                ["stream"], registry=self.registry)
        self.requests = Histogram("streamer_http_request_seconds", "API request latency", ["method", "route", "status"],
                                  registry=self.registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))
        self.alerts = Counter("streamer_alerts_total", "alerts raised (database failing, a recording stopped)",
                              ["kind"], registry=self.registry)
        self._sub = bus.subscribe(types=("speech_end", "decision", "state", "alert"), maxsize=10_000)

    async def run(self) -> None:
        try:
            while True:
                ev = await self._sub.get()
                sid = str(ev.get("stream"))
                if ev["type"] == "speech_end":
                    self.sentences.labels(sid, str(ev.get("source"))).inc()
                elif ev["type"] == "decision":
                    self.comments.labels(sid, str(ev.get("action"))).inc()
                elif ev["type"] == "state" and ev.get("state") == "restarting":
                    self.restarts.labels(sid).inc()
                elif ev["type"] == "alert" and ev.get("state") not in ("recovered", "resolved"):
                    self.alerts.labels(str(ev.get("kind"))).inc()
        finally:
            self._sub.close()

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")  # the template, not the URL: bounded label values
        self.requests.labels(request.method, path, str(response.status_code)).observe(time.perf_counter() - t0)
        return response
