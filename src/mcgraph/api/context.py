"""What every request handler shares, built once per process in the app's lifespan: the
service (writable repository), the query workers, the write token and the write lock."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.store.workers import QueryExecutor


@dataclass
class ServiceContext:
    settings: Settings
    service: Service
    executor: QueryExecutor
    write_token: str | None
    #: writes are serialised: one SPARQL update or document load, then a new checkpoint
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: bumped after every write; ETags and Last-Modified of reads derive from it
    generation: int = 0
    last_modified: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    )

    def after_write(self) -> None:
        """Publish a write to readers: new checkpoint for the workers, new validators."""
        self.executor.refresh()
        self.service.changed()
        self.generation += 1
        self.last_modified = dt.datetime.now(dt.UTC).replace(microsecond=0)

    @property
    def etag(self) -> str:
        return f'W/"g{self.generation}-{int(self.last_modified.timestamp())}"'

    def close(self) -> None:
        self.executor.close()
        self.service.close()
