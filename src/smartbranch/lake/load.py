"""``smartbranch load``: bring the lake's master data into the serving database.

What is loaded: org units (with their materialised ``path``), staff (without passwords),
products, customers, credentials (lookup hash and masked form only: the lake holds no clear
number), the *active* holdings (``holdings.id`` is the lake's ``holding_id``) and a
provisional ``customer_profiles`` row per customer (AUM over the asset categories, tier by
the configured thresholds, ``source='load'``). History stays in the lake for the analysis.

How, for each table:

1. the Parquet part files are read in batches (``iter_batches``, so memory stays bounded
   whatever the table's size), normalised to the contract's Arrow types, and bulk-copied
   into a TEMPORARY staging table: ``COPY … FROM STDIN (FORMAT csv)`` on PostgreSQL (CSV
   written by pyarrow in a worker thread, while the previous batch is being copied),
   ``executemany`` on SQLite;
2. references are checked (every outlet, staff username, customer number and product code
   must resolve) and natural keys must be unique, so bad data fails with a
   :class:`~smartbranch.lake.errors.LakeIntegrityError` naming the table instead of a
   database error;
3. ONE set-based upsert moves the rows into the serving table, resolving foreign keys by
   joining on natural keys (org code, staff username, customer number): ``INSERT … SELECT …
   LEFT JOIN <target> WHERE <new or changed> ON CONFLICT (natural key) DO UPDATE … WHERE
   <changed>``. Rows the target already holds unchanged are filtered out by that one join
   (a hash join on PostgreSQL), so a nightly re-load neither probes the key index once per
   row nor rewrites anything: ids, timestamps and row versions stay as they were. Org units
   are the exception: one upsert per tree level, parents before children, because a
   statement does not see the rows it inserts itself.

The SQL of steps 2 and 3 is the same on both databases (SQLAlchemy Core); step 1 differs,
and so does one optimisation of step 3 for a **first load on PostgreSQL**: when one of the
large tables (customers, credentials, holdings, profiles) is empty, its foreign keys, unique
constraints and secondary indexes are dropped, the rows go in with a plain ``INSERT …
SELECT``, and the constraints and indexes are restored from the catalog's own definitions
(a rebuilt unique index then catches a duplicate key, instead of a separate check).
Measured on a million customers, that makes the first load about three times faster: a
foreign key checked row by row and an index grown row by row cost several times the insert.

**Transaction.** The whole load is ONE transaction: either every table reflects the new
lake or none does, so a failure (bad lake, lost connection, constraint) never leaves a
half-loaded table that looks complete, and dropped constraints are never left dropped. The
lake's presence and columns are checked before the transaction starts. On SQLite the single
write transaction blocks other writers for the duration of the load (readers carry on, WAL).
On PostgreSQL readers keep seeing the previous data until the commit, except on a first
load, where the tables being filled (and those their foreign keys refer to) are locked
until the commit. The staging tables are temporary (no WAL on PostgreSQL) and dropped as
soon as they have been used.

**Idempotent.** Loading the same lake twice leaves identical rows and ids. A credential
whose status changed in the lake (a card reported lost) is updated; holdings that are no
longer active in the lake are deleted; credentials, customers, staff and org units missing
from the lake are left alone (other tables and the audit trail refer to them). A profile
whose ``source`` is not ``load`` was published by the analysis and is never overwritten.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable, FromClause
from sqlalchemy.types import TypeEngine

from smartbranch.bulk import copy_payload, encode_batch
from smartbranch.catalog.models import ASSET_CATEGORIES, Product
from smartbranch.customers.models import (
    TIER_ORDER,
    Credential,
    Customer,
    CustomerProfile,
    Holding,
)
from smartbranch.db import Base, UTCDateTime, utcnow
from smartbranch.lake import layout
from smartbranch.lake.errors import (
    LakeIntegrityError,
)
from smartbranch.lake.layout import ColumnKind, LakeColumn, LakeTable
from smartbranch.lake.reading import (
    ORG_DEPTH,
    ORG_PATH,
    LakeSource,
    OrgTree,
    prefetched,
    read_org_tree,
)
from smartbranch.orgs.models import OrgKind, OrgUnit, Staff

_Insert = postgresql.Insert | sqlite.Insert

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: rows of ``stage`` read from the lake so far."""

PROFILE_SOURCE = "load"
"""``customer_profiles.source`` of a provisional profile written by the load."""

PROFILES_STAGE = CustomerProfile.__tablename__
LOAD_STAGES: tuple[str, ...] = (
    *(table.name for table in layout.MASTER_TABLES),
    PROFILES_STAGE,
)
"""The ``stage`` names :func:`load_lake` reports progress for, in order."""


def _table_of(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


_org_units = _table_of(OrgUnit)
_staff = _table_of(Staff)
_products = _table_of(Product)
_customers = _table_of(Customer)
_credentials = _table_of(Credential)
_holdings = _table_of(Holding)
_profiles = _table_of(CustomerProfile)

# Columns of the contract the serving database has no place for: not even read.
_UNUSED = {
    layout.CREDENTIALS.name: frozenset({"card_level"}),
    layout.HOLDINGS.name: frozenset({"closed_on"}),
}

_SQL_TYPES: dict[ColumnKind, Callable[[], TypeEngine[Any]]] = {
    ColumnKind.TEXT: String,
    ColumnKind.INTEGER: BigInteger,
    ColumnKind.DATE: Date,
    ColumnKind.MONEY: lambda: Numeric(18, 2),
}


@dataclass(frozen=True)
class LoadSummary:
    """What a load did."""

    rows: dict[str, int]
    """Rows each serving table now mirrors from the lake (holdings: the active ones)."""
    holdings_removed: int
    """Holdings deleted because they are closed or gone from the lake."""
    elapsed_seconds: float
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per stage (staging plus upsert)."""

    def __str__(self) -> str:
        counts = ", ".join(f"{table} {count:,}" for table, count in self.rows.items())
        return (
            f"loaded {counts}; removed {self.holdings_removed:,} holdings; "
            f"{self.elapsed_seconds:.1f} s"
        )


async def load_lake(
    engine: AsyncEngine,
    lake: Path,
    *,
    tier_thresholds: Sequence[Decimal],
    progress: ProgressCallback | None = None,
    batch_rows: int = 100_000,
) -> LoadSummary:
    """Load the master data of the lake at ``lake`` into the database behind ``engine``.

    ``tier_thresholds`` are the lower bounds (CNY) of gold, platinum, diamond and private
    banking. ``progress(stage, done, total)`` is called when a stage starts (``done`` 0)
    and after each batch of at most ``batch_rows`` rows read from the lake; the stages are
    :data:`LOAD_STAGES`, and each one's rows are written to the database after its last
    batch is read. Raises a
    :class:`~smartbranch.lake.errors.LakeError` (and changes nothing) when the lake is
    missing, lacks a column, or does not hold together.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    bounds_fen = _bounds_in_fen(tier_thresholds)
    started = time.perf_counter()
    # Everything that can be checked without the database is checked before it is touched.
    sources = {table.name: LakeSource.open(lake, table) for table in layout.MASTER_TABLES}
    org_tree = read_org_tree(sources[layout.ORG_UNITS.name])

    async with engine.begin() as conn:
        loader = _Loader(conn, progress or _no_progress, batch_rows)
        await loader.prepare()
        await loader.load_org_units(sources[layout.ORG_UNITS.name], org_tree)
        await loader.load_staff(sources[layout.STAFF.name])
        await loader.load_products(sources[layout.PRODUCTS.name])
        await loader.load_customers(sources[layout.CUSTOMERS.name])
        await loader.load_credentials(sources[layout.CREDENTIALS.name])
        await loader.load_holdings(sources[layout.HOLDINGS.name])
        await loader.load_profiles(bounds_fen)
        await loader.finish()
    return LoadSummary(
        rows=loader.rows,
        holdings_removed=loader.holdings_removed,
        elapsed_seconds=time.perf_counter() - started,
        seconds=loader.seconds,
    )


def _no_progress(stage: str, done: int, total: int) -> None:
    """Progress goes nowhere."""


def _bounds_in_fen(thresholds: Sequence[Decimal]) -> list[int]:
    """Tier lower bounds in integer fen, so SQLite (floating point) and PostgreSQL (exact)
    compare alike: ``aum >= bound`` ⇔ ``aum_fen >= ceil(bound * 100)`` for whole fen."""
    if len(thresholds) != len(TIER_ORDER) - 1:
        raise ValueError(f"expected {len(TIER_ORDER) - 1} tier thresholds, got {len(thresholds)}")
    return [math.ceil(Decimal(bound) * 100) for bound in thresholds]


# --- writing the database -----------------------------------------------------------------


class _Loader:
    """One load, inside one transaction on ``conn``."""

    def __init__(self, conn: AsyncConnection, progress: ProgressCallback, batch_rows: int):
        self.conn = conn
        self.progress = progress
        self.batch_rows = batch_rows
        self.postgres = conn.dialect.name == "postgresql"
        self.metadata = MetaData()
        self.now = utcnow()
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.holdings_removed = 0
        self._stage_started = 0.0

    # -- session and staging

    async def prepare(self) -> None:
        """Session settings for a bulk load."""
        if self.postgres:
            # Losing the last moments of a load in a crash is harmless (it is re-run), and
            # the commit need not wait for the WAL flush.
            await self.conn.execute(text("SET LOCAL synchronous_commit = off"))
            # Hash joins and aggregates over millions of staged rows stay in memory.
            await self.conn.execute(text("SET LOCAL work_mem = '256MB'"))
            # Indexes and constraints rebuilt after a first load sort in memory.
            await self.conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))

    async def finish(self) -> None:
        """Fresh planner statistics for the tables just loaded."""
        for table in (
            _org_units,
            _staff,
            _products,
            _customers,
            _credentials,
            _holdings,
            _profiles,
        ):
            await self.conn.execute(text(f"ANALYZE {table.name}"))

    def _begin_stage(self, stage: str, total: int) -> None:
        self._stage_started = time.perf_counter()
        self.progress(stage, 0, total)

    def _end_stage(self, stage: str, rows: int) -> None:
        self.rows[stage] = rows
        self.seconds[stage] = time.perf_counter() - self._stage_started

    async def _create_staging(self, table: LakeTable, columns: Sequence[LakeColumn]) -> Table:
        staging = Table(
            f"load_{table.name}",
            self.metadata,
            *(Column(c.name, _SQL_TYPES[c.kind]()) for c in columns),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DROP",
        )
        # No leftover can exist: a staging table lives and dies inside the load's
        # transaction (a rollback takes it away on both databases).
        await self.conn.run_sync(staging.create)
        return staging

    async def _drop_staging(self, staging: Table) -> None:
        # Frees temporary space as soon as a table is done (SQLite keeps temporary tables
        # until the connection closes; PostgreSQL would drop them at commit).
        await self.conn.execute(text(f"DROP TABLE {staging.name}"))
        self.metadata.remove(staging)

    async def stage(
        self,
        source: LakeSource,
        batches: Iterator[Any] | None = None,
        *,
        extra: Sequence[LakeColumn] = (),
        keep: Callable[[Any], Any] | None = None,
        filter_only: Sequence[LakeColumn] = (),
    ) -> tuple[Table, int]:
        """Copy ``source`` (or the given ``batches``) into a new staging table; returns it
        and the number of rows staged. ``keep(batch)`` may filter each batch first, on
        columns that may be ``filter_only`` (read, not staged)."""
        table = source.table
        unused = _UNUSED.get(table.name, frozenset())
        wanted = [c for c in table.columns if c.name not in unused]
        columns = [c for c in wanted if c not in filter_only] + list(extra)
        staging = await self._create_staging(table, columns)
        names = [c.name for c in columns]
        if batches is None:
            batches = source.batches(wanted, self.batch_rows)

        def prepared() -> Iterator[tuple[int, int, Any]]:
            for batch in batches:
                rows_read = batch.num_rows
                if keep is not None:
                    batch = keep(batch)
                payload = self._encode(batch.select(names))
                yield rows_read, batch.num_rows, payload

        done = staged = 0
        async for rows_read, count, payload in prefetched(prepared()):
            if count:
                await self._copy(staging, names, payload)
            done += rows_read
            staged += count
            self.progress(table.name, done, source.total_rows)
        # Temporary tables are never analysed automatically; without statistics the
        # planner guesses badly for the joins that follow.
        await self.conn.execute(text(f"ANALYZE {staging.name}"))
        return staging, staged

    def _encode(self, batch: Any) -> Any:
        """The bulk-copy payload of ``batch``: CSV bytes for COPY, tuples for executemany."""
        return encode_batch(batch, postgres=self.postgres)

    async def _copy(self, staging: Table, names: list[str], payload: Any) -> None:
        await copy_payload(self.conn, staging, names, payload)

    # -- checks

    async def _require_resolved(
        self,
        table: LakeTable,
        staging: Table,
        key: Column[Any],
        target_key: Column[Any],
        *conditions: ColumnElement[bool],
    ) -> None:
        """Every non-null ``key`` of ``staging`` matches a ``target_key`` (that also meets
        ``conditions``), or :class:`LakeIntegrityError`."""
        query = (
            select(func.count(), func.min(key))
            .select_from(staging.outerjoin(target_key.table, and_(target_key == key, *conditions)))
            .where(key.is_not(None), target_key.is_(None))
        )
        missing, example = (await self.conn.execute(query)).one()
        if missing:
            target = f"{target_key.table.description}.{target_key.name}"
            raise LakeIntegrityError(
                table=table.name,
                problem=f"{missing} rows refer to an unknown {target} ({key.name} {example}, …)",
            )

    async def _require_unique(self, table: LakeTable, key: Column[Any]) -> None:
        """No two staged rows share ``key`` (PostgreSQL would refuse such an upsert, SQLite
        would quietly keep the last one)."""
        query = select(key).group_by(key).having(func.count() > 1).limit(1)
        duplicate = (await self.conn.execute(query)).scalar()
        if duplicate is not None:
            raise LakeIntegrityError(
                table=table.name, problem=f"{key.name} {duplicate} appears more than once"
            )

    # -- writing

    async def _execute(self, table: LakeTable, statement: Executable) -> None:
        try:
            await self.conn.execute(statement)
        except IntegrityError as error:
            # A check constraint (an unknown kind, role, status…) or a duplicate key caught
            # by a rebuilt unique index is a fault of the lake.
            raise LakeIntegrityError(table=table.name, problem=_reason(error)) from error

    async def _write(
        self,
        table: LakeTable,
        target: Table,
        columns: Sequence[Column[Any]],
        rows: Select[Any],
        key: Column[Any],
        *,
        staged_key: Column[Any] | None,
        update: Sequence[Column[Any]] | None = None,
        compare: Sequence[Column[Any]] | None = None,
        only_if: Callable[[FromClause], ColumnElement[bool]] | None = None,
        bulk: bool = False,
    ) -> None:
        """Upsert ``rows`` (one per ``columns``) into ``target`` on its natural ``key``,
        after checking that ``staged_key`` (the key's column in the staging table, if any)
        is unique.

        Only rows that are new, or whose ``compare`` columns (default: the ``update``
        columns, by default all but the key) differ and that meet ``only_if``, are written;
        the ``update`` columns of an existing row are set. With ``bulk``, an empty target
        on PostgreSQL is filled by a plain INSERT with its indexes and constraints
        rebuilt afterwards (see :meth:`_make_room`).
        """
        updated = [c for c in (update or columns) if c is not key]
        compared = compare or updated
        restore = await self._make_room(target) if bulk else None
        if restore is not None:
            # Nothing to conflict with, and no unique index left to arbitrate: a plain insert.
            # A duplicate key fails the insert (primary key) or the rebuilt unique index,
            # which costs nothing extra, unlike a separate check.
            await self._execute(table, insert(target).from_select(list(columns), rows))
            for statement in restore:
                await self._execute(table, text(statement))
            return
        if staged_key is not None:
            await self._require_unique(table, staged_key)
        rows = self._new_or_changed(target, columns, rows, key, compared, only_if)
        # SQLite needs a WHERE after INSERT … SELECT … JOIN: without it, the ON of ON CONFLICT
        # would parse as a join constraint.
        stmt = self._insert(target).from_select(list(columns), rows.where(true()))
        changed = or_(*(c.is_distinct_from(stmt.excluded[c.name]) for c in compared))
        stmt = stmt.on_conflict_do_update(
            index_elements=[key],
            set_={c.name: stmt.excluded[c.name] for c in updated},
            # Checked again at the row (the filter above ran before any lock was taken).
            where=changed if only_if is None else and_(only_if(target), changed),
        )
        await self._execute(table, stmt)

    @staticmethod
    def _new_or_changed(
        target: Table,
        columns: Sequence[Column[Any]],
        rows: Select[Any],
        key: Column[Any],
        compared: Sequence[Column[Any]],
        only_if: Callable[[FromClause], ColumnElement[bool]] | None,
    ) -> Select[Any]:
        """``rows`` without those the target already holds unchanged.

        One join against the current rows (a hash join on PostgreSQL) is far cheaper than
        letting ON CONFLICT probe the natural-key index once per row, most of which, on a
        nightly re-load, find nothing to change.
        """
        current = target.alias("current")
        value = dict(zip((c.name for c in columns), rows.selected_columns, strict=True))
        differs = or_(*(current.c[c.name].is_distinct_from(value[c.name]) for c in compared))
        if only_if is not None:
            differs = and_(only_if(current), differs)
        return rows.outerjoin(current, current.c[key.name] == value[key.name]).where(
            or_(current.c[key.name].is_(None), differs)
        )

    async def _make_room(self, target: Table) -> list[str] | None:
        """Prepare an empty ``target`` for a bulk insert on PostgreSQL: drop its foreign keys,
        unique constraints and secondary indexes, and return the statements that restore
        them (``None``: not PostgreSQL, or the table has rows — upsert instead).

        Checking a foreign key row by row and inserting each row into every index costs
        several times the insert itself on a first load of millions of rows; building an
        index once and validating a foreign key with one join is cheap. The definitions
        come from the catalog, so they are restored exactly as the migrations made them,
        inside this transaction. The price: the table (and, for a foreign key, the table
        it refers to) stays locked against readers until the load commits, which on a
        first load nobody notices.
        """
        if not self.postgres:
            return None
        has_rows = (await self.conn.execute(select(exists().select_from(target)))).scalar()
        if has_rows:
            return None
        definitions = (
            await self.conn.execute(_DROPPABLE_DEFINITIONS, {"table": target.name})
        ).all()
        for drop, _restore in definitions:
            await self.conn.execute(text(drop))
        return [restore for _drop, restore in definitions]

    def _insert(self, target: Table) -> _Insert:
        # The two dialects' inserts share the ON CONFLICT API (and SQL) used here.
        return postgresql.insert(target) if self.postgres else sqlite.insert(target)

    # -- the tables

    async def load_org_units(self, source: LakeSource, tree: OrgTree) -> None:
        """Org units, one tree level at a time so that every parent exists before its
        children look it up."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        batches = iter(tree.rows.to_batches(max_chunksize=self.batch_rows))
        staging, staged = await self.stage(source, batches, extra=(ORG_PATH, ORG_DEPTH))
        s = staging.c
        parent = _org_units.alias("parent")
        target = _org_units.c
        columns = [
            target.code,
            target.name,
            target.name_en,
            target.kind,
            target.parent_id,
            target.path,
            target.city,
            target.timezone,
        ]
        for depth in range(tree.depths):
            rows = (
                select(s.code, s.name, s.name_en, s.kind, parent.c.id, s.path, s.city, s.timezone)
                .select_from(staging.outerjoin(parent, parent.c.code == s.parent_code))
                .where(s.depth == depth)
            )
            await self._write(table, _org_units, columns, rows, target.code, staged_key=None)
        await self._drop_staging(staging)
        self._end_stage(table.name, staged)

    async def load_staff(self, source: LakeSource) -> None:
        """Staff, without passwords: those are set separately, and a re-load keeps them."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        staging, staged = await self.stage(source)
        s = staging.c
        await self._require_resolved(table, staging, s.org_code, _org_units.c.code)
        target = _staff.c
        rows = select(
            s.username,
            s.display_name,
            s.role,
            _org_units.c.id,
            literal(True, Boolean()),
            literal(self.now, UTCDateTime()),
        ).select_from(staging.join(_org_units, _org_units.c.code == s.org_code))
        columns = [
            target.username,
            target.display_name,
            target.role,
            target.org_unit_id,
            target.active,
            target.created_at,
        ]
        await self._write(
            table,
            _staff,
            columns,
            rows,
            target.username,
            staged_key=s.username,
            # ``active`` is the bank's decision in the console, ``created_at`` is history.
            update=[target.display_name, target.role, target.org_unit_id],
        )
        await self._drop_staging(staging)
        self._end_stage(table.name, staged)

    async def load_products(self, source: LakeSource) -> None:
        """Products, keyed by code."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        staging, staged = await self.stage(source)
        s = staging.c
        target = _products.c
        rows = select(s.code, s.name, s.name_en, s.category, s.risk_level, s.term_days).select_from(
            staging
        )
        columns = [
            target.code,
            target.name,
            target.name_en,
            target.category,
            target.risk_level,
            target.term_days,
        ]
        await self._write(table, _products, columns, rows, target.code, staged_key=s.code)
        await self._drop_staging(staging)
        self._end_stage(table.name, staged)

    async def load_customers(self, source: LakeSource) -> None:
        """Customers, their home outlet and account manager resolved from code and username.

        The staging table is kept for the profiles (the lake's customers get one each)."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        staging, staged = await self.stage(source)
        s = staging.c
        outlet = _org_units.c.kind == OrgKind.OUTLET.value
        await self._require_resolved(table, staging, s.home_outlet_code, _org_units.c.code, outlet)
        await self._require_resolved(table, staging, s.account_manager, _staff.c.username)
        target = _customers.c
        rows = select(
            s.customer_number,
            s.name,
            s.gender,
            s.birth_date,
            s.phone,
            _org_units.c.id,
            s.home_city,
            _staff.c.id,
            s.risk_tolerance,
            s.opened_on,
        ).select_from(
            staging.join(
                _org_units, and_(_org_units.c.code == s.home_outlet_code, outlet)
            ).outerjoin(_staff, _staff.c.username == s.account_manager)
        )
        columns = [
            target.number,
            target.name,
            target.gender,
            target.birth_date,
            target.phone,
            target.home_outlet_id,
            target.home_city,
            target.account_manager_id,
            target.risk_tolerance,
            target.opened_on,
        ]
        await self._write(
            table, _customers, columns, rows, target.number, staged_key=s.customer_number, bulk=True
        )
        self.customer_staging = staging
        self._end_stage(table.name, staged)

    async def load_credentials(self, source: LakeSource) -> None:
        """Credentials keyed by lookup hash: a status changed in the lake is updated."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        staging, staged = await self.stage(source)
        s = staging.c
        await self._require_resolved(table, staging, s.customer_number, _customers.c.number)
        target = _credentials.c
        rows = select(
            _customers.c.id, s.kind, s.lookup_hash, s.masked, s.status, s.issued_on
        ).select_from(staging.join(_customers, _customers.c.number == s.customer_number))
        columns = [
            target.customer_id,
            target.kind,
            target.lookup_hash,
            target.masked,
            target.status,
            target.issued_on,
        ]
        await self._write(
            table,
            _credentials,
            columns,
            rows,
            target.lookup_hash,
            staged_key=s.lookup_hash,
            bulk=True,
        )
        await self._drop_staging(staging)
        self._end_stage(table.name, staged)

    async def load_holdings(self, source: LakeSource) -> None:
        """Active holdings under the lake's ids; the others leave the serving table."""
        table = source.table
        self._begin_stage(table.name, source.total_rows)
        # Closed holdings never reach the serving database: filter them before the copy.
        status = table.column("status")

        def active(batch: Any) -> Any:
            return batch.filter(pc.equal(batch.column(status.name), layout.HOLDING_ACTIVE))

        staging, staged = await self.stage(source, keep=active, filter_only=[status])
        s = staging.c
        await self._require_resolved(table, staging, s.customer_number, _customers.c.number)
        await self._require_resolved(table, staging, s.product_code, _products.c.code)
        target = _holdings.c
        # Written as IN over an anti-join rather than NOT EXISTS: SQLite runs a correlated
        # NOT EXISTS as a full scan of the staging table per holding, but indexes a join.
        kept = _holdings.alias("kept")
        gone = (
            select(kept.c.id)
            .select_from(kept.outerjoin(staging, s.holding_id == kept.c.id))
            .where(s.holding_id.is_(None))
        )
        removed = await self.conn.execute(delete(_holdings).where(target.id.in_(gone)))
        self.holdings_removed = removed.rowcount
        rows = select(
            s.holding_id,
            _customers.c.id,
            s.product_code,
            s.category,
            s.balance,
            s.opened_on,
            s.maturity_on,
        ).select_from(staging.join(_customers, _customers.c.number == s.customer_number))
        columns = [
            target.id,
            target.customer_id,
            target.product_code,
            target.category,
            target.balance,
            target.opened_on,
            target.maturity_on,
        ]
        await self._write(
            table, _holdings, columns, rows, target.id, staged_key=s.holding_id, bulk=True
        )
        await self._drop_staging(staging)
        if self.postgres:
            await self._advance_holding_ids()
        self._end_stage(table.name, staged)

    async def _advance_holding_ids(self) -> None:
        # The lake chose the ids, not the sequence: move the sequence past them (never back)
        # so that a holding inserted later by the application cannot collide.
        await self.conn.execute(_ADVANCE_SEQUENCE, {"table": _holdings.name})

    async def load_profiles(self, bounds_fen: Sequence[int]) -> None:
        """A provisional profile per customer of the lake: AUM over the asset categories of
        the holdings just loaded, and its tier. Once an analysis run has been published, the
        analysis owns the profiles: only customers without one get a provisional profile
        (a profile the analysis confirmed unchanged keeps its ``load`` source)."""
        self._begin_stage(PROFILES_STAGE, 1)
        runs = Base.metadata.tables["analysis_runs"]
        analysed = (await self.conn.execute(select(runs.c.id).limit(1))).first() is not None
        staging = self.customer_staging
        s = staging.c
        h = _holdings.c
        # In whole fen: exact on PostgreSQL, and free of float drift on SQLite, whose
        # NUMERIC is a double; SUM over integers is exact on both.
        assets = (
            select(
                h.customer_id,
                func.sum(cast(func.round(h.balance * 100), BigInteger)).label("fen"),
            )
            .where(h.category.in_(ASSET_CATEGORIES))
            .group_by(h.customer_id)
            .subquery("assets")
        )
        fen = func.coalesce(assets.c.fen, 0)
        # Highest tier first: the same answer as ``tier_for_aum`` (the last bound reached).
        tier = case(
            *(
                (fen >= literal(bound, BigInteger()), literal(tier.value, String()))
                for tier, bound in reversed(list(zip(TIER_ORDER[1:], bounds_fen, strict=True)))
            ),
            else_=literal(TIER_ORDER[0].value, String()),
        )
        aum = fen / literal(Decimal(100), Numeric(18, 2))
        rows = select(
            _customers.c.id,
            tier,
            aum,
            literal(PROFILE_SOURCE, String()),
            literal(self.now, UTCDateTime()),
        ).select_from(
            staging.join(_customers, _customers.c.number == s.customer_number).outerjoin(
                assets, assets.c.customer_id == _customers.c.id
            )
        )
        target = _profiles.c
        await self._write(
            layout.CUSTOMERS,
            _profiles,
            [target.customer_id, target.tier, target.aum, target.source, target.updated_at],
            rows,
            target.customer_id,
            staged_key=None,  # the customers' numbers were checked already
            update=[target.tier, target.aum, target.updated_at],
            # ``updated_at`` always differs; only a new tier or AUM is a change.
            compare=[target.tier, target.aum],
            only_if=lambda profiles: false() if analysed else profiles.c.source == PROFILE_SOURCE,
            bulk=True,
        )
        count = (await self.conn.execute(select(func.count()).select_from(staging))).scalar_one()
        await self._drop_staging(staging)
        self.progress(PROFILES_STAGE, 1, 1)
        self._end_stage(PROFILES_STAGE, count)


def _reason(error: IntegrityError) -> str:
    """The database's own words for a violated constraint, with PostgreSQL's detail when it
    names the offending key (never its "failing row", which would put a customer's name
    and phone number on the operator's screen)."""
    cause = error.orig.__cause__ if error.orig is not None else None
    message = (getattr(cause, "message", None) or str(error.orig or error)).strip()
    first_line = message.splitlines()[0] if message else type(error).__name__
    detail = getattr(cause, "detail", None)
    if isinstance(detail, str) and detail.startswith("Key "):
        return f"{first_line} ({detail})"
    return first_line


# PostgreSQL catalog: how to drop, and then restore, a table's foreign keys, unique
# constraints no foreign key depends on, and indexes that back no constraint.
_DROPPABLE_DEFINITIONS = text(
    """
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint AS c
    WHERE c.conrelid = CAST(:table AS regclass)
      AND (c.contype = 'f'
           OR (c.contype = 'u' AND NOT EXISTS (
                 SELECT 1 FROM pg_constraint AS f
                 WHERE f.contype = 'f' AND f.conindid = c.conindid)))
    UNION ALL
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
    FROM pg_index AS i
    WHERE i.indrelid = CAST(:table AS regclass)
      AND NOT EXISTS (
        SELECT 1 FROM pg_constraint AS k
        WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid)
    """
)

# Move a serial column's sequence up to the column's maximum, never down.
_ADVANCE_SEQUENCE = text(
    """
    SELECT setval(seq, GREATEST(top, COALESCE((
        SELECT last_value FROM pg_sequences
        WHERE format('%I.%I', schemaname, sequencename) = seq), 1)))
    FROM (SELECT pg_get_serial_sequence(:table, 'id') AS seq,
                 (SELECT COALESCE(MAX(id), 1) FROM holdings) AS top) AS current
    WHERE seq IS NOT NULL
    """
)
