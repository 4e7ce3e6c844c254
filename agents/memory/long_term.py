"""Long-term memory: facts with a kind, tags, source session and time, recalled by FTS5 BM25.

Text is indexed through one normaliser (lower case, Latin words with a light plural fold, Chinese as
overlapping character bigrams) so English and the notes' Chinese terms are both searchable. Recall drops
stop words and terms that occur in a large share of memories (an OR over a very common term scores most of
the table) before asking FTS5 for the best matches; without FTS5, a LIKE scan scored the same way stands in.

A ``remember`` commits only the memory row (one fsync'd WAL commit, as cheap as a raw single-row write); the
FTS index catches up in one batch before every recall and every ``INDEX_BATCH`` writes (see
:func:`agents.memory.store.index_pending`).
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, cast

from agents.memory.backend import Memory, MemoryScope
from agents.memory.categories import asked_categories, fact_categories
from agents.memory.store import SQLiteStore, index_pending
from agents.messages import CJK_CHARS

__all__ = ["LongTermMemory", "Memory", "NewMemory", "new_memory", "query_terms", "search_terms"]

#: The ids a memory row can have (SQLite integers are 64-bit).
_ROWID_MIN, _ROWID_MAX = -(2**63), 2**63 - 1

_TOKEN = re.compile(rf"[{CJK_CHARS}]+|[^\W_{CJK_CHARS}]+")
_CJK_RUN = re.compile(rf"[{CJK_CHARS}]")

_STOP_WORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off
    on once only or other our ours out over own please same she should so some such than that the their
    them then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours remember recall know tell said say about
    again also 什么 怎么 一下 我们 你们 这个 那个 是否 可以 请问 告诉 记得 我的 你的 是什 么是""".split()  # noqa: SIM905 - a word list reads best as words
)

#: A term found in more than this share of memories is too common to be worth an OR branch.
COMMON_SHARE = 0.05
#: At most this many (the rarest) terms go into one query.
MAX_QUERY_TERMS = 8
#: ``remember`` brings the FTS index up to date once this many rows may be waiting, so the catch-up a recall
#: pays stays small even when nothing recalls for a while.
INDEX_BATCH = 256


def _fold(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def search_terms(text: str) -> list[str]:
    """The index terms of ``text``: lower-cased words (plural ``s`` folded) and Chinese character bigrams."""
    terms: list[str] = []
    for token in _TOKEN.findall(text.lower()):  # runs on every remember: kept lean
        if token[-1] == "s":
            terms.append(_fold(token))
        elif token[0] >= "\u3400" and _CJK_RUN.match(token):
            if len(token) == 1:
                terms.append(token)
            else:
                terms.extend(token[i : i + 2] for i in range(len(token) - 1))
        else:
            terms.append(token)
    return terms


_COLUMNS = "id, text, kind, tags, session, created, owner, context"


def _row(raw: Sequence[object], score: float | None = None) -> Memory:
    tags = tuple(tag for tag in str(raw[3]).split(",") if tag)
    identity, created = cast(int, raw[0]), cast(float, raw[5])  # INTEGER and REAL columns
    session, context = cast(str | None, raw[4]), cast(str | None, raw[7])
    return Memory(
        int(identity), str(raw[1]), str(raw[2]), tags, session, float(created), score, str(raw[6]), context
    )


class NewMemory(NamedTuple):
    """A fact about to be remembered, normalised as every backend stores it."""

    text: str
    kind: str
    tags: tuple[str, ...]
    search: str
    """Its index terms (:func:`search_terms` of text, tags and kind), space-separated."""


def new_memory(text: str, kind: str, tags: Iterable[str]) -> NewMemory:
    """``text`` stripped (``ValueError`` naming the field if nothing is left), ``kind`` defaulted to ``fact``,
    tags lower-cased and deduplicated, and the index terms."""
    text = text.strip()
    if not text:
        raise ValueError("text: a memory needs some text")
    clean_tags = tuple(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
    kind = kind.strip() or "fact"
    terms = search_terms(f"{text} {' '.join(clean_tags)} {kind}")
    return NewMemory(text, kind, clean_tags, " ".join([*terms, *fact_categories(terms)]))


def query_terms(query: str) -> list[str]:
    """The terms a recall looks for: :func:`search_terms` of the query, once each, without stop words."""
    terms = search_terms(query)
    return [term for term in dict.fromkeys([*terms, *asked_categories(terms)]) if term not in _STOP_WORDS]


def _visible(scope: MemoryScope | None, kind: str | None, alias: str = "") -> tuple[str, tuple[object, ...]]:
    """SQL conditions (joined by AND, starting with AND) for what ``scope`` and ``kind`` let a call see."""
    sql, args = "", []
    if scope is not None:
        sql += f" AND {alias}owner = ? AND ({alias}context IS NULL OR {alias}context = ?)"
        args += [scope.owner, scope.context]
    if kind is not None:
        sql += f" AND {alias}kind = ?"
        args.append(kind)
    return sql, tuple(args)


class LongTermMemory:
    """Facts in ``memory.db``; async methods over a :class:`SQLiteStore` (the SQLite
    :class:`~agents.memory.backend.LongTermBackend`).

    ``remember`` returns once the fact is durably committed. ``recall`` returns the best ``limit`` matches,
    best first, among those ``scope`` lets the caller see. Several instances (or processes) may share one
    file; each sees the others' commits.
    """

    def __init__(self, store: SQLiteStore | None = None, *, path: Path | None = None) -> None:
        self.store = store or SQLiteStore(path)
        self._df: Counter[str] | None = None
        """Per-term document frequencies, loaded lazily from the FTS vocabulary and kept current by the rows
        this instance indexes or forgets (another process's writes make it approximate until the next
        reload)."""
        self._docs = 0
        self._indexed_through = 0
        """The highest memory id this instance last saw indexed; ``remember`` catches the index up when its
        new id is ``INDEX_BATCH`` past it."""
        self._df_loaded_at = 0.0
        self._data_version: int | None = None

    async def remember(
        self,
        text: str,
        *,
        kind: str = "fact",
        tags: Iterable[str] = (),
        session: str | None = None,
        scope: MemoryScope | None = None,
    ) -> Memory:
        """Save a fact for ``scope``'s owner, in its context (``scope.context=None``: a global memory)."""
        fact = new_memory(text, kind, tags)
        return await self.store.run(self._remember, fact, session, scope or MemoryScope())

    def _remember(
        self, conn: sqlite3.Connection, fact: NewMemory, session: str | None, scope: MemoryScope
    ) -> Memory:
        text, kind, tags, search = fact
        created = time.time()
        # One statement, so autocommit makes it its own durable transaction; the index catches up later.
        cursor = conn.execute(
            "INSERT INTO memories(text, kind, tags, session, created, search, owner, context) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (text, kind, ",".join(tags), session, created, search, scope.owner, scope.context),
        )
        memory_id = int(cursor.lastrowid or 0)
        if self.store.fts and memory_id - self._indexed_through >= INDEX_BATCH:
            self._index(conn)
            self._indexed_through = memory_id  # indexed now, by this call or by another process
        return Memory(memory_id, text, kind, tags, session, created, None, scope.owner, scope.context)

    def _index(self, conn: sqlite3.Connection) -> None:
        """Bring the FTS index up to date (see :func:`index_pending`) and count the new rows' terms."""
        rows = index_pending(conn)
        if not rows:
            return
        if self._df is not None:
            for _, search in rows:
                self._df.update(set(search.split()))
            self._docs += len(rows)
        self._indexed_through = rows[-1][0]

    async def remember_many(
        self, texts: Iterable[str], *, kind: str = "fact", session: str | None = None
    ) -> int:
        """Store many facts in one transaction (imports, benchmarks); returns how many were stored."""
        rows = [text.strip() for text in texts if text.strip()]
        return await self.store.run(self._remember_many, rows, kind, session)

    def _remember_many(
        self, conn: sqlite3.Connection, texts: list[str], kind: str, session: str | None
    ) -> int:
        created = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO memories(text, kind, tags, session, created, search) VALUES (?, ?, '', ?, ?, ?)",
                ((text, kind, session, created, " ".join(search_terms(f"{text} {kind}"))) for text in texts),
            )
            rows = index_pending(conn) if self.store.fts else []  # these rows and any still waiting
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if rows:
            self._indexed_through = rows[-1][0]
        self._df = None  # reload the term statistics on the next recall
        return len(texts)

    async def forget(self, memory_id: int, *, scope: MemoryScope | None = None) -> bool:
        """Delete one memory; ``False`` when no memory has that id (that ``scope`` can see)."""
        if not _ROWID_MIN <= memory_id <= _ROWID_MAX:  # no row can have it (SQLite would overflow on it)
            return False
        return await self.store.run(self._forget, memory_id, scope)

    def _forget(self, conn: sqlite3.Connection, memory_id: int, scope: MemoryScope | None) -> bool:
        visible, args = _visible(scope, None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"SELECT search FROM memories WHERE id = ?{visible}", (memory_id, *args)
            ).fetchone()
            if row is None:
                conn.execute("ROLLBACK")
                return False
            # A row the index has not caught up with yet has no entry to delete (and a 'delete' of what
            # was never inserted would corrupt the index's term counts).
            indexed = self.store.fts and bool(
                conn.execute("SELECT 1 FROM memories_fts_docsize WHERE id = ?", (memory_id,)).fetchone()
            )
            if indexed:
                conn.execute(
                    "INSERT INTO memories_fts(memories_fts, rowid, search) VALUES ('delete', ?, ?)",
                    (memory_id, row[0]),
                )
            conn.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if indexed and self._df is not None:
            self._df.subtract(set(row[0].split()))
            self._docs -= 1
        return True

    async def get(self, memory_id: int) -> Memory | None:
        return await self.store.run(self._get, memory_id)

    def _get(self, conn: sqlite3.Connection, memory_id: int) -> Memory | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return _row(row) if row else None

    async def newest(
        self, *, limit: int | None = 50, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]:
        """The newest memories first (all of them with ``limit=None``), among those ``scope`` can see."""
        return await self.store.run(self._list, limit, kind, scope)

    def _list(
        self, conn: sqlite3.Connection, limit: int | None, kind: str | None, scope: MemoryScope | None
    ) -> list[Memory]:
        visible, args = _visible(scope, kind)
        sql = f"SELECT {_COLUMNS} FROM memories WHERE 1{visible} ORDER BY id DESC LIMIT ?"
        return [_row(raw) for raw in conn.execute(sql, (*args, -1 if limit is None else limit))]

    async def count(self) -> int:
        return await self.store.run(
            lambda conn: int(conn.execute("SELECT count(*) FROM memories").fetchone()[0])
        )

    async def recall(
        self, query: str, *, limit: int = 5, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]:
        """The ``limit`` memories most relevant to ``query`` (BM25), best first, among those ``scope`` can
        see (``None``: all); ``[]`` when nothing matches."""
        if limit <= 0:
            return []
        return await self.store.run(self._recall, query, limit, kind, scope)

    def _recall(
        self, conn: sqlite3.Connection, query: str, limit: int, kind: str | None, scope: MemoryScope | None
    ) -> list[Memory]:
        terms = query_terms(query)
        if not terms:
            return []
        visible, args = _visible(scope, kind, "m.")
        if not self.store.fts:
            hits = self._scan(conn, terms, limit, visible, args)
        else:
            self._index(conn)  # every acknowledged memory is searchable
            chosen, conjunctive = self._choose_terms(conn, terms)
            if not chosen:
                return []
            joiner = " AND " if conjunctive else " OR "
            sql = (
                "SELECT memories_fts.rowid, -rank FROM memories_fts "
                "JOIN memories m ON m.id = memories_fts.rowid "
                f"WHERE memories_fts MATCH ?{visible} ORDER BY rank LIMIT ?"
            )
            hits = conn.execute(sql, (joiner.join(f'"{term}"' for term in chosen), *args, limit)).fetchall()
            if conjunctive and not hits:  # nothing has all the common words: fall back to the rarest one
                hits = conn.execute(sql, (f'"{chosen[0]}"', *args, limit)).fetchall()
        if not hits:
            return []
        scores = {int(rowid): float(score) for rowid, score in hits}
        marks = ",".join("?" * len(scores))
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM memories WHERE id IN ({marks})", tuple(scores)
        ).fetchall()
        found = [_row(raw, scores[int(raw[0])]) for raw in rows]
        found.sort(key=lambda memory: (-(memory.score or 0.0), -memory.id))
        return found[:limit]

    def _choose_terms(self, conn: sqlite3.Connection, terms: list[str]) -> tuple[list[str], bool]:
        """The query's informative terms, rarest first; ``conjunctive`` when only common terms were asked for.

        Terms no memory contains are dropped; terms in more than ``COMMON_SHARE`` of the memories are kept
        only when nothing rarer was asked for, and then joined with AND (an OR over a very common term would
        score most of the table).
        """
        df, docs = self._frequencies(conn)
        present = sorted((term for term in terms if df.get(term, 0) > 0), key=lambda term: df[term])
        ceiling = max(50, int(COMMON_SHARE * docs))
        rare = [term for term in present if df[term] <= ceiling]
        if rare:
            return rare[:MAX_QUERY_TERMS], False
        return present[:MAX_QUERY_TERMS], True

    def _frequencies(self, conn: sqlite3.Connection) -> tuple[Counter[str], int]:
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        stale = self._df is None or (
            version != self._data_version and time.monotonic() - self._df_loaded_at > 60
        )
        if stale:
            self._df = Counter(dict(conn.execute("SELECT term, doc FROM memories_vocab")))
            self._docs = int(conn.execute("SELECT count(*) FROM memories").fetchone()[0])
            self._df_loaded_at = time.monotonic()
        self._data_version = version
        assert self._df is not None
        return self._df, self._docs

    def _scan(
        self, conn: sqlite3.Connection, terms: list[str], limit: int, visible: str, args: tuple[object, ...]
    ) -> list[tuple[int, float]]:
        """Fallback without FTS5: LIKE-filter on the rarest terms, then score with BM25 in Python."""
        docs = int(conn.execute("SELECT count(*) FROM memories").fetchone()[0]) or 1
        where = " OR ".join("(' ' || search || ' ') LIKE ?" for _ in terms)
        rows = conn.execute(
            f"SELECT id, search FROM memories m WHERE ({where}){visible}",
            (*(f"% {term} %" for term in terms), *args),
        ).fetchall()
        tokenised = [(int(memory_id), search.split()) for memory_id, search in rows]
        df = Counter(term for _, words in tokenised for term in set(words) & set(terms))
        average = sum(len(words) for _, words in tokenised) / max(1, len(tokenised))
        scored = []
        for memory_id, words in tokenised:
            counts = Counter(words)
            score = 0.0
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    idf = math.log(1 + (docs - df[term] + 0.5) / (df[term] + 0.5))
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / average))
            scored.append((memory_id, score))
        scored.sort(key=lambda pair: (-pair[1], -pair[0]))
        return scored[:limit]

    async def export(self) -> list[Memory]:
        """Every memory, oldest first."""
        return list(reversed(await self.newest(limit=None)))

    def close(self) -> None:
        self.store.close()
