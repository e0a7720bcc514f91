"""Prometheus metrics kept in a per-app registry (so several apps in one process do not collide)."""
from __future__ import annotations

import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("opc_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("opc_http_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.answers = Counter("opc_answers_total", "Answers by intent and engine", ["intent", "engine", "refused"],
                               registry=self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by route template and tags the response with a request id. Plain ASGI
    (not BaseHTTPMiddleware): no extra task and stream per request, which showed in the throughput bench."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        rid = (headers.get(b"x-request-id") or uuid.uuid4().hex[:12].encode())[:64]
        t0, status = time.perf_counter(), ["500"]

        async def tagged(message):
            if message["type"] == "http.response.start":
                status[0] = str(message["status"])
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid)]}
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or ("/ui" if scope.get("path", "").startswith("/ui") else "other")
            self.metrics.requests.labels(scope["method"], name, status[0]).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - t0)
