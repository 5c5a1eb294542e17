"""Backing services, attached to the app by URL: a SQLite database and a Redis-compatible store."""
