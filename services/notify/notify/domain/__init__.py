"""The notify service's rules for news, attachments and information pages (no I/O)."""
