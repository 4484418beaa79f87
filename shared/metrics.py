"""Prometheus metrics of one service (one registry per app, so tests never share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.shed = Counter(
            "http_requests_shed", "Requests refused with 503 (overload)", registry=r
        )
        self.outbox_backlog = Gauge("outbox_backlog", "Events waiting in the outbox", registry=r)
        self.outbox_published = Counter(
            "outbox_published", "Events published and confirmed by the broker", registry=r
        )
        self.outbox_archived = Counter(
            "outbox_archived",
            "Events no queue was bound for, kept in the event archive",
            ["type"],
            registry=r,
        )
        self.outbox_failures = Counter(
            "outbox_publish_failures", "Event publications that failed", ["reason"], registry=r
        )
        self.events_handled = Counter(
            "events_handled", "Events consumed, by outcome", ["type", "outcome"], registry=r
        )
        self.event_delay = Histogram(
            "event_delivery_delay_seconds",
            "From the event's occurrence to its handling",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600),
            registry=r,
        )
        self.consumer_lag = Gauge(
            "consumer_lag_messages",
            "Messages waiting in the service's queue",
            ["queue"],
            registry=r,
        )
        self.dead_letters = Gauge(
            "dead_letter_messages",
            "Messages parked in the dead-letter queue",
            ["queue"],
            registry=r,
        )
