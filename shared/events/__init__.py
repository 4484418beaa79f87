"""The event bus: envelope and contract registry, transactional outbox, relay, consumers."""
