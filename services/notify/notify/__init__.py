"""The notify service: emails for every event (exactly once), in-app notifications."""
