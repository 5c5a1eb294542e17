"""Counting what the backing stores hold, so a check can say what a failed request stored."""
from __future__ import annotations

import sqlite3

import redis

from grader.platform.forkserver import base_env
from grader.harness import inventory
from grader.platform.services.redis import RedisServer


def test_sqlite_tables_are_counted_by_rows_and_growth_is_named(tmp_path):
    path = tmp_path / "app.db"
    url = f"sqlite:///{path}"
    assert inventory.take({"DATABASE_URL": url}) == {}  # no file yet: nothing stored
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, total REAL)")
        db.execute('CREATE TABLE "odd ""name""" (x)')
    before = inventory.take({"DATABASE_URL": url})
    assert before == {"SQLite table 'reports'": 0, "SQLite table 'odd \"name\"'": 0}
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO reports (total) VALUES (1.5), (2.5)")
        db.execute("CREATE TABLE pending (id)")
    after = inventory.take({"DATABASE_URL": url})
    assert inventory.growth(before, after) == ["SQLite table 'pending' appeared, holding 0 rows",
                                                "SQLite table 'reports' grew from 0 to 2 rows"]
    assert inventory.take({"DATABASE_URL": url}, database=False) == {}


def test_redis_keys_are_counted_by_members_and_a_counter_changing_value_is_no_growth(tmp_path):
    server = RedisServer(tmp_path, base_env("inventory-test"))
    try:
        server.wait_ready()
        url = f"redis://127.0.0.1:{server.port}/3"
        client = redis.Redis.from_url(url)
        client.incr("reports:last-id")
        client.hset("report:1", mapping={"rows": 3, "total": "4.5"})
        before = inventory.take({"REDIS_URL": url})
        assert before == {"Redis string 'reports:last-id'": 1, "Redis hash 'report:1'": 2}
        client.incr("reports:last-id")
        assert inventory.growth(before, inventory.take({"REDIS_URL": url})) == []
        client.rpush("pending", "a", "b")
        client.hset("report:1", "note", "x")
        client.set("flag", "1")
        grew = inventory.growth(before, inventory.take({"REDIS_URL": url}))
        assert sorted(grew) == ["Redis hash 'report:1' grew from 2 to 3 entries",
                                "Redis list 'pending' appeared, holding 2 entries", "Redis string 'flag' appeared"]
        assert inventory.take({"REDIS_URL": url}, redis=False) == {}
        client.close()
    finally:
        server.stop()
