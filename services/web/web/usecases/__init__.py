"""The portal's use cases: its sessions, and the pages' calls to the services."""
