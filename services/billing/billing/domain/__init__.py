"""Billing's domain: prices, lines, numbers, billing rules and the ledger; no I/O."""
