"""The event bus: envelope and contract registry, transactional outbox, relay, consumers."""

# Every event type is declared by the contract; loading the package loads it, so that the
# registry (which the contract fills) always knows them all.
from shared.events import contract as contract
