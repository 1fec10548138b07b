"""Dagster's SQLite event log with its connections reused: the same files, a fraction of the bookkeeping cost.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every read and write and throws it away,
so every stored event pays for an engine, a fresh statement compilation, and opening and closing (which
checkpoints the WAL) each database it touches: one for the run's own shard and two more for the index shard
of an asset materialization or check evaluation. A ranged backfill of a year of daily partitions stores ten
thousand such events; on this 2-core machine that bookkeeping was about half of the demo's time (BENCHMARKS.md).

`HubpulseSqliteEventLogStorage` keeps one engine per database file and, for the index shard (`index.db`), one
pooled connection. A run's own shard still opens and closes a connection per write, as Dagster's does: the
UI's live view of a run watches that file for changes, and closing the last connection is what writes the WAL
back into it. The database files, schema and migrations are Dagster's own; a plain `SqliteEventLogStorage`
reads and writes the same instance (a `dagster.yaml` without the `event_log_storage` block is the stock one).

    event_log_storage:
      module: orchestration.event_storage
      class: HubpulseSqliteEventLogStorage
      config:
        base_dir: /abs/path/to/DAGSTER_HOME/history/runs   # where Dagster's default keeps the event log
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

# Engines of run shards kept (the webserver reads many runs; the engine of a run being written stays in use).
RUN_ENGINES_KEPT = 32


class HubpulseSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one engine per database file and a pooled connection to the index shard."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                # A forked child must not use its parent's SQLite connections: it starts its own, and leaves the
                # parent's open (closing them here could disturb the parent's transactions).
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines = OrderedDict()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
            else:
                pooled = shard == INDEX_SHARD_NAME
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    # The index shard keeps one connection open; a run's shard closes each one (see the module doc).
                    poolclass=QueuePool if pooled else NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                    **({"pool_size": 1, "max_overflow": 2} if pooled else {}),
                )
                self._engines[shard] = engine
                run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
                for name in run_shards[: max(0, len(run_shards) - RUN_ENGINES_KEPT)]:
                    self._engines.pop(name).dispose()  # NullPool: nothing open, only the engine is dropped
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's: one connection at a time per storage object, the database created on first use.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            engines, self._engines = self._engines, OrderedDict()
        for engine in engines.values():
            engine.dispose()
