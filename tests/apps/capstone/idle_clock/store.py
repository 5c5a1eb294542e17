"""The backing services, each found through its URL in the environment, and the schema.

Every process calls ``connect()`` for PostgreSQL; creating the tables takes a transaction-scoped
advisory lock first, so processes that start at the same moment do not race each other.
"""
import os

import boto3
import psycopg
import redis

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    result JSONB,
    error TEXT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    lease_until TIMESTAMPTZ,
    created TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS cleanup_runs (
    period BIGINT PRIMARY KEY,
    removed INTEGER NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
"""

redis_store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
s3 = boto3.client("s3")
BUCKET = os.environ["S3_BUCKET"]


def connect() -> psycopg.Connection:
    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


def create_schema() -> None:
    with connect() as db, db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(6)")
        db.execute(SCHEMA)


def object_key(upload_id: str) -> str:
    return f"uploads/{upload_id}"
