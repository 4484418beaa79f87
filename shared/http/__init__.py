"""The aiohttp side shared by every service: app factory, middlewares, probes, OpenAPI."""
