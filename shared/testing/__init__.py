"""Test support: real Postgres and RabbitMQ, isolated per run and per test."""
