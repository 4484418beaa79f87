"""What the booking service does, one module per area. A state change enters the unit of work
it is given (`shared.uow`) once and raises its events with `uow.emit`; a read takes the pool
(or a connection). Called alike by `api/` (HTTP) and `events.py` (family's events).

The opening rush's validations take their places through the ledger installed at app setup
(`booking.ledger`): the use case reads the same whether the ledger groups them or not."""
