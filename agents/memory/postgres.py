"""Long-term memory and saved sessions in PostgreSQL, shared by every process on the database (coordinator
replicas behind a load balancer see one memory and one copy of each conversation).

Recall is PostgreSQL full-text search over one ``tsvector`` per memory that joins two configurations: the
``english`` one over the text (stems: "prefers" finds "preferred") and the ``simple`` one over the same
normalised terms the SQLite backend indexes (lower case, plural fold, Chinese as character bigrams, so
Chinese is searchable without a Chinese parser). As in SQLite, stop words go, and terms found in a large
share of the memories are kept only when nothing rarer was asked (and then joined with AND). A GIN index
serves every query; ranking is ``ts_rank_cd`` (cover density), normalised by document length.

Every write is one transaction, durable when its ``await`` returns (``synchronous_commit`` as the server
has it, ``on`` by default).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agents.memory.backend import Memory, MemoryScope, SessionInfo
from agents.memory.long_term import COMMON_SHARE, MAX_QUERY_TERMS, new_memory, query_terms, search_terms

if TYPE_CHECKING:
    import asyncpg

    from agents.messages import Message

__all__ = ["PostgresMemory", "PostgresSessions", "connect_memory"]

MEMORIES, SESSIONS, TURNS = "protoplay_memories", "protoplay_sessions", "protoplay_turns"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {MEMORIES} (
    id bigserial PRIMARY KEY,
    text text NOT NULL,
    kind text NOT NULL DEFAULT 'fact',
    tags text NOT NULL DEFAULT '',
    session text,
    created double precision NOT NULL,
    owner text NOT NULL DEFAULT '',
    context text,
    search text NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, text), 'A') || to_tsvector('simple'::regconfig, search)
    ) STORED
);
CREATE INDEX IF NOT EXISTS {MEMORIES}_document ON {MEMORIES} USING gin (document);
CREATE TABLE IF NOT EXISTS {SESSIONS} (
    name text PRIMARY KEY,
    created double precision NOT NULL,
    updated double precision NOT NULL,
    summary text
);
CREATE TABLE IF NOT EXISTS {TURNS} (
    id bigserial PRIMARY KEY,
    session text NOT NULL,
    messages text NOT NULL,
    created double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS {TURNS}_session ON {TURNS} (session, id);
"""

_COLUMNS = "id, text, kind, tags, session, created, owner, context"


async def connect_memory(dsn: str, *, pool_size: int = 5) -> asyncpg.Pool:
    """An asyncpg pool on ``dsn`` with the memory tables created (under a lock: replicas start together)."""
    import asyncpg

    # Nothing here leaves session state on a connection: returning it needs no RESET ALL round trip.
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=pool_size, command_timeout=60, reset=_keep_session
    )
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('protoplay memory schema'))")
            await conn.execute(_SCHEMA)
    except BaseException:
        await pool.close()
        raise
    return pool


async def _keep_session(connection: asyncpg.Connection) -> None:
    return None


def _memory(row: Any, score: float | None = None) -> Memory:
    tags = tuple(tag for tag in row["tags"].split(",") if tag)
    return Memory(
        int(row["id"]),
        row["text"],
        row["kind"],
        tags,
        row["session"],
        float(row["created"]),
        score,
        row["owner"],
        row["context"],
    )


def _visible(scope: MemoryScope | None, kind: str | None, args: list[Any]) -> str:
    """SQL conditions (each starting with AND) for what ``scope`` and ``kind`` see; appends their args."""
    sql = ""
    if scope is not None:
        args += [scope.owner, scope.context]
        sql += f" AND owner = ${len(args) - 1} AND (context IS NULL OR context = ${len(args)})"
    if kind is not None:
        args.append(kind)
        sql += f" AND kind = ${len(args)}"
    return sql


def _tsquery(terms: list[str], joiner: str) -> str:
    # Terms are runs of letters, digits or CJK (see search_terms): quoting makes each one lexeme.
    return f" {joiner} ".join("'" + term.replace("'", "''") + "'" for term in terms)


class PostgresMemory:
    """Long-term memory in ``protoplay_memories`` (the PostgreSQL
    :class:`~agents.memory.backend.LongTermBackend`); the pool is the caller's to close."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def remember(
        self,
        text: str,
        *,
        kind: str = "fact",
        tags: Iterable[str] = (),
        session: str | None = None,
        scope: MemoryScope | None = None,
    ) -> Memory:
        text, kind, clean_tags, search = new_memory(text, kind, tags)
        where = scope or MemoryScope()
        created = time.time()
        memory_id = await self.pool.fetchval(
            f"INSERT INTO {MEMORIES} (text, kind, tags, session, created, owner, context, search) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            text,
            kind,
            ",".join(clean_tags),
            session,
            created,
            where.owner,
            where.context,
            search,
        )
        return Memory(
            int(memory_id), text, kind, clean_tags, session, created, None, where.owner, where.context
        )

    async def remember_many(
        self, texts: Iterable[str], *, kind: str = "fact", session: str | None = None
    ) -> int:
        created = time.time()
        rows = [
            (text, kind, session, created, " ".join(search_terms(f"{text} {kind}")))
            for text in (raw.strip() for raw in texts)
            if text
        ]
        async with self.pool.acquire() as conn:
            await conn.copy_records_to_table(
                MEMORIES, records=rows, columns=["text", "kind", "session", "created", "search"]
            )
        return len(rows)

    async def forget(self, memory_id: int, *, scope: MemoryScope | None = None) -> bool:
        if not -(2**63) <= memory_id < 2**63:
            return False  # no bigint id is that large
        args: list[Any] = [memory_id]
        visible = _visible(scope, None, args)
        deleted = await self.pool.fetchval(
            f"DELETE FROM {MEMORIES} WHERE id = $1{visible} RETURNING id", *args
        )
        return deleted is not None

    async def get(self, memory_id: int) -> Memory | None:
        if not -(2**63) <= memory_id < 2**63:
            return None
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM {MEMORIES} WHERE id = $1", memory_id)
        return _memory(row) if row is not None else None

    async def newest(
        self, *, limit: int | None = 50, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]:
        args: list[Any] = []
        visible = _visible(scope, kind, args)
        args.append(limit)
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM {MEMORIES} WHERE true{visible} ORDER BY id DESC LIMIT ${len(args)}",
            *args,
        )
        return [_memory(row) for row in rows]

    async def count(self) -> int:
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {MEMORIES}"))

    async def export(self) -> list[Memory]:
        rows = await self.pool.fetch(f"SELECT {_COLUMNS} FROM {MEMORIES} ORDER BY id")
        return [_memory(row) for row in rows]

    async def recall(
        self, query: str, *, limit: int = 5, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]:
        terms = query_terms(query)
        if limit <= 0 or not terms:
            return []
        chosen, conjunctive = await self._choose_terms(terms)
        if not chosen:
            return []
        found = await self._search(_tsquery(chosen, "&" if conjunctive else "|"), limit, kind, scope)
        if conjunctive and not found:  # nothing has all the common words: fall back to the rarest one
            found = await self._search(_tsquery(chosen[:1], "|"), limit, kind, scope)
        return found

    async def _search(
        self, expression: str, limit: int, kind: str | None, scope: MemoryScope | None
    ) -> list[Memory]:
        args: list[Any] = [expression]
        visible = _visible(scope, kind, args)
        args.append(limit)
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS}, ts_rank_cd(document, query, 1) AS score "
            f"FROM {MEMORIES}, (SELECT to_tsquery('simple', $1) || to_tsquery('english', $1) AS query) q "
            f"WHERE document @@ query{visible} ORDER BY score DESC, id DESC LIMIT ${len(args)}",
            *args,
        )
        return [_memory(row, float(row["score"])) for row in rows]

    async def _choose_terms(self, terms: list[str]) -> tuple[list[str], bool]:
        """The query's terms present in some memory, rarest first; ``conjunctive`` when all are common (see
        :meth:`agents.memory.long_term.LongTermMemory._choose_terms`). Counting stops past the ceiling, so
        a very common term costs no more than a rare one."""
        docs = await self.pool.fetchval(
            "SELECT CASE WHEN reltuples >= 100000 THEN reltuples::bigint "
            f"ELSE (SELECT count(*) FROM {MEMORIES}) END FROM pg_class WHERE oid = '{MEMORIES}'::regclass"
        )
        ceiling = max(50, int(COMMON_SHARE * int(docs or 0)))
        rows = await self.pool.fetch(
            "SELECT t.term, (SELECT count(*) FROM (SELECT 1 FROM "
            f"{MEMORIES} WHERE document @@ to_tsquery('simple', t.quoted) LIMIT $3) hits) AS df "
            "FROM unnest($1::text[], $2::text[]) AS t(term, quoted)",
            terms,
            [_tsquery([term], "|") for term in terms],
            ceiling + 1,
        )
        df = {row["term"]: int(row["df"]) for row in rows}
        present = sorted((term for term in terms if df.get(term, 0) > 0), key=lambda term: df[term])
        rare = [term for term in present if df[term] <= ceiling]
        if rare:
            return rare[:MAX_QUERY_TERMS], False
        return present[:MAX_QUERY_TERMS], True


class PostgresSessions:
    """Saved sessions in ``protoplay_sessions`` and ``protoplay_turns`` (the PostgreSQL
    :class:`~agents.memory.backend.SessionBackend`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self, name: str) -> tuple[list[list[Message]], str | None]:
        summary = await self.pool.fetchval(f"SELECT summary FROM {SESSIONS} WHERE name = $1", name)
        rows = await self.pool.fetch(f"SELECT messages FROM {TURNS} WHERE session = $1 ORDER BY id", name)
        return [json.loads(row["messages"]) for row in rows], summary

    async def append_turn(self, name: str, messages: list[Message], summary: str | None) -> int:
        now = time.time()
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"INSERT INTO {SESSIONS} (name, created, updated, summary) VALUES ($1, $2, $2, $3) "
                "ON CONFLICT (name) DO UPDATE SET updated = excluded.updated, summary = excluded.summary",
                name,
                now,
                summary,
            )
            turn = await conn.fetchval(
                f"INSERT INTO {TURNS} (session, messages, created) VALUES ($1, $2, $3) RETURNING id",
                name,
                json.dumps(messages, ensure_ascii=False),
                now,
            )
        return int(turn)

    async def clear(self, name: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"DELETE FROM {TURNS} WHERE session = $1", name)
            await conn.execute(
                f"UPDATE {SESSIONS} SET summary = NULL, updated = $2 WHERE name = $1", name, time.time()
            )

    async def saved(self) -> list[SessionInfo]:
        rows = await self.pool.fetch(
            f"SELECT s.name, count(t.id) AS turns, s.created, s.updated FROM {SESSIONS} s "
            f"LEFT JOIN {TURNS} t ON t.session = s.name GROUP BY s.name ORDER BY s.updated DESC"
        )
        return [
            SessionInfo(row["name"], int(row["turns"]), float(row["created"]), float(row["updated"]))
            for row in rows
        ]

    async def last_turn(self, name: str) -> int:
        return int(
            await self.pool.fetchval(f"SELECT coalesce(max(id), 0) FROM {TURNS} WHERE session = $1", name)
        )
