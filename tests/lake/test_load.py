"""``load_lake`` on the configured test database (SQLite, or PostgreSQL in CI).

The loader commits, so the rolled-back ``session`` fixture cannot isolate it: every test
here uses the ``clean`` fixture, which deletes the rows the fixture lake brings (all keyed
``T…``) before and after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, delete, func, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from smartbranch.catalog.models import Product
from smartbranch.credentials import CredentialHasher
from smartbranch.customers.models import (
    Credential,
    Customer,
    CustomerProfile,
    Holding,
)
from smartbranch.customers.tiers import tier_for_aum
from smartbranch.db import Base
from smartbranch.errors import AppError
from smartbranch.lake import layout
from smartbranch.lake.errors import (
    LakeIntegrityError,
    LakeMissingError,
    LakeSchemaError,
)
from smartbranch.lake.load import LOAD_STAGES, LoadSummary, load_lake
from smartbranch.orgs.models import OrgUnit, Staff
from tests.lake.lake_builder import (
    EXPECTED_PATHS,
    FIRST_HOLDING_ID,
    PORTFOLIOS,
    FixtureLake,
    build_lake,
)

THRESHOLDS = (Decimal(50_000), Decimal(500_000), Decimal(2_000_000), Decimal(6_000_000))
LOADED_MODELS: tuple[type[Base], ...] = (
    OrgUnit,
    Staff,
    Product,
    Customer,
    Credential,
    Holding,
    CustomerProfile,
)


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


async def _delete_fixture_rows(engine: AsyncEngine) -> None:
    """Delete what the fixture lake loads, children first."""
    ours = select(Customer.id).where(Customer.number.like("T%")).scalar_subquery()
    async with engine.begin() as conn:
        await conn.execute(delete(CustomerProfile).where(CustomerProfile.customer_id.in_(ours)))
        await conn.execute(
            delete(Holding).where(
                or_(Holding.customer_id.in_(ours), Holding.product_code.like("T%"))
            )
        )
        await conn.execute(delete(Credential).where(Credential.customer_id.in_(ours)))
        await conn.execute(delete(Customer).where(Customer.number.like("T%")))
        await conn.execute(delete(Staff).where(Staff.username.like("t.%")))
        await conn.execute(delete(Product).where(Product.code.like("T%")))
        await conn.execute(update(OrgUnit).where(OrgUnit.code.like("T%")).values(parent_id=None))
        await conn.execute(delete(OrgUnit).where(OrgUnit.code.like("T%")))


@pytest.fixture
async def clean(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The engine, with the fixture lake's rows removed before and after the test."""
    await _delete_fixture_rows(engine)
    yield engine
    await _delete_fixture_rows(engine)


@pytest.fixture
def fixture_lake(hasher: CredentialHasher) -> FixtureLake:
    return build_lake(hasher)


async def _load(engine: AsyncEngine, lake: Path, **kwargs: Any) -> LoadSummary:
    kwargs.setdefault("tier_thresholds", THRESHOLDS)
    return await load_lake(engine, lake, **kwargs)


async def _dump(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the load writes, in primary-key order."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for model in LOADED_MODELS:
            table = _table(model)
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            dump[table.name] = [tuple(row) for row in result]
    return dump


async def _schema(engine: AsyncEngine) -> dict[str, Any]:
    """Indexes and constraints of the loaded tables, as the database reports them."""

    def describe(sync_conn: Any) -> dict[str, Any]:
        inspector = inspect(sync_conn)
        schema: dict[str, Any] = {}
        for model in LOADED_MODELS:
            name = model.__tablename__
            schema[name] = {
                "pk": inspector.get_pk_constraint(name),
                "fks": sorted(inspector.get_foreign_keys(name), key=lambda fk: str(fk["name"])),
                "unique": sorted(
                    inspector.get_unique_constraints(name), key=lambda uq: str(uq["name"])
                ),
                "indexes": sorted(inspector.get_indexes(name), key=lambda ix: str(ix["name"])),
                "checks": sorted(
                    inspector.get_check_constraints(name), key=lambda ck: str(ck["name"])
                ),
            }
        return schema

    async with engine.connect() as conn:
        return await conn.run_sync(describe)


async def _scalars(engine: AsyncEngine, query: Any) -> list[Any]:
    async with AsyncSession(engine) as session:
        return list((await session.execute(query)).scalars())


async def _rows(engine: AsyncEngine, query: Any) -> list[Any]:
    async with AsyncSession(engine) as session:
        return list(await session.execute(query))


async def _profiles(engine: AsyncEngine) -> dict[str, tuple[Decimal, str, str]]:
    rows = await _rows(
        engine,
        select(Customer.number, CustomerProfile.aum, CustomerProfile.tier, CustomerProfile.source)
        .join(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .where(Customer.number.like("T%")),
    )
    return {number: (aum, tier, source) for number, aum, tier, source in rows}


class TestLoadLake:
    async def test_loads_every_master_table(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        summary = await _load(clean, fixture_lake.write(tmp_path / "lake"))

        active = [h for h in fixture_lake.rows(layout.HOLDINGS) if h["status"] == "active"]
        assert summary.rows == {
            "org_units": 6,
            "staff": 4,
            "products": 7,
            "customers": 10,
            "credentials": len(fixture_lake.rows(layout.CREDENTIALS)),
            "holdings": len(active),
            "customer_profiles": 10,
        }
        assert summary.holdings_removed == 0
        assert summary.elapsed_seconds > 0
        assert set(summary.seconds) == set(LOAD_STAGES)

    async def test_org_tree_has_paths_and_parents(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        orgs = await _scalars(clean, select(OrgUnit).where(OrgUnit.code.like("T%")))
        by_code = {org.code: org for org in orgs}
        assert {code: org.path for code, org in by_code.items()} == EXPECTED_PATHS
        assert by_code["THO"].parent_id is None
        assert by_code["TBJ"].parent_id == by_code["THO"].id
        assert by_code["TBJ002"].parent_id == by_code["TBJ"].id
        assert by_code["TSH001"].parent_id == by_code["TSH"].id
        outlet = by_code["TSH001"]
        assert (outlet.kind, outlet.name, outlet.name_en, outlet.city, outlet.timezone) == (
            "outlet",
            "上海TSH001",
            "TSH001",
            "上海",
            "Asia/Shanghai",
        )

    async def test_staff_products_and_customers_resolve_their_references(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        orgs = {
            org.code: org.id
            for org in await _scalars(clean, select(OrgUnit).where(OrgUnit.code.like("T%")))
        }
        staff = {
            s.username: s
            for s in await _scalars(clean, select(Staff).where(Staff.username.like("t.%")))
        }
        assert set(staff) == {"t.bj001.am1", "t.sh001.am1", "t.bj001.teller1", "t.ho.admin"}
        manager = staff["t.sh001.am1"]
        assert (manager.display_name, manager.role, manager.org_unit_id) == (
            "陈经理",
            "account_manager",
            orgs["TSH001"],
        )
        assert all(s.password_hash is None and s.active for s in staff.values())
        assert all(s.created_at.tzinfo is not None for s in staff.values())

        products = {
            p.code: p for p in await _scalars(clean, select(Product).where(Product.code.like("T%")))
        }
        assert len(products) == 7
        fund = products["TFUND_EQ"]
        assert (fund.category, fund.risk_level, fund.name_en) == ("fund", 4, "")
        assert products["TDEP_1Y"].term_days == 365
        assert products["TDEP_CURRENT"].term_days is None

        customers = {
            c.number: c
            for c in await _scalars(clean, select(Customer).where(Customer.number.like("T%")))
        }
        assert set(customers) == set(PORTFOLIOS)
        lake_rows = {row["customer_number"]: row for row in fixture_lake.rows(layout.CUSTOMERS)}
        for number, (outlet, manager_name, *_rest) in PORTFOLIOS.items():
            customer, row = customers[number], lake_rows[number]
            assert customer.home_outlet_id == orgs[outlet]
            expected_manager = staff[manager_name].id if manager_name else None
            assert customer.account_manager_id == expected_manager
            assert (
                customer.name,
                customer.gender,
                customer.birth_date,
                customer.phone,
                customer.home_city,
                customer.risk_tolerance,
                customer.opened_on,
            ) == (
                row["name"],
                row["gender"],
                row["birth_date"],
                row["phone"],
                row["home_city"],
                row["risk_tolerance"],
                row["opened_on"],
            )

    async def test_credentials_keep_hash_and_mask_only(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        rows = await _rows(
            clean,
            select(Credential, Customer.number)
            .join(Customer, Customer.id == Credential.customer_id)
            .where(Customer.number.like("T%")),
        )
        loaded = {credential.lookup_hash: (credential, number) for credential, number in rows}
        expected = fixture_lake.rows(layout.CREDENTIALS)
        assert len(loaded) == len(expected)
        for row in expected:
            credential, number = loaded[row["lookup_hash"]]
            assert number == row["customer_number"]
            assert (
                credential.kind,
                credential.masked,
                credential.status,
                credential.issued_on,
            ) == (row["kind"], row["masked"], row["status"], row["issued_on"])
            clear = fixture_lake.clear_numbers[row["lookup_hash"]]
            assert clear not in credential.masked

    async def test_only_active_holdings_are_loaded_under_the_lake_ids(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        rows = await _rows(
            clean,
            select(Holding, Customer.number)
            .join(Customer, Customer.id == Holding.customer_id)
            .where(Customer.number.like("T%")),
        )
        loaded = {holding.id: (holding, number) for holding, number in rows}
        lake_rows = fixture_lake.rows(layout.HOLDINGS)
        assert set(loaded) == {h["holding_id"] for h in lake_rows if h["status"] == "active"}
        for row in lake_rows:
            if row["status"] != "active":
                continue
            holding, number = loaded[row["holding_id"]]
            assert number == row["customer_number"]
            assert (
                holding.product_code,
                holding.category,
                holding.balance,
                holding.opened_on,
                holding.maturity_on,
            ) == (
                row["product_code"],
                row["category"],
                row["balance"],
                row["opened_on"],
                row["maturity_on"],
            )

    async def test_provisional_profiles_have_hand_computed_aum_and_tier(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        profiles = await _profiles(clean)
        expected = {
            number: (Decimal(aum), tier, "load")
            for number, (_o, _m, _h, aum, tier) in PORTFOLIOS.items()
        }
        assert profiles == expected
        for aum, tier, _source in profiles.values():
            assert tier == tier_for_aum(aum, THRESHOLDS)

    async def test_tier_thresholds_come_from_the_caller(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        thresholds = (Decimal("10000.00"), Decimal("50000.05"), Decimal(100_000), Decimal(10**7))
        await _load(clean, fixture_lake.write(tmp_path / "lake"), tier_thresholds=thresholds)

        profiles = await _profiles(clean)
        assert profiles["T0000000009"][1] == "gold"  # 10,000.00: exactly the first bound
        assert profiles["T0000000010"][1] == "platinum"  # 50,000.10 ≥ 50,000.05
        assert profiles["T0000000001"][1] == "gold"  # 50,000.00 < 50,000.05
        assert profiles["T0000000006"][1] == "diamond"
        for aum, tier, _source in profiles.values():
            assert tier == tier_for_aum(aum, thresholds)

    async def test_wrong_number_of_thresholds_is_refused(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        with pytest.raises(ValueError, match="tier thresholds"):
            await _load(
                clean, fixture_lake.write(tmp_path / "lake"), tier_thresholds=THRESHOLDS[:3]
            )

    async def test_progress_is_reported_per_batch_and_stage(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        calls: list[tuple[str, int, int]] = []
        await _load(
            clean,
            fixture_lake.write(tmp_path / "lake"),
            progress=lambda stage, done, total: calls.append((stage, done, total)),
            batch_rows=4,
        )

        stages = list(dict.fromkeys(stage for stage, _done, _total in calls))
        assert stages == list(LOAD_STAGES)
        customers = [(done, total) for stage, done, total in calls if stage == "customers"]
        # 10 customers in two part files of 5, batches of at most 4: 0, 4, 5, 9, 10.
        assert customers == [(0, 10), (4, 10), (5, 10), (9, 10), (10, 10)]
        for stage in LOAD_STAGES:
            done, total = next((d, t) for s, d, t in reversed(calls) if s == stage)
            assert done == total

    async def test_small_batches_load_the_same_rows(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake")
        await _load(clean, lake, batch_rows=3)
        first = await _dump(clean)
        await _delete_fixture_rows(clean)
        await _load(clean, lake)
        second = await _dump(clean)

        # Ids differ between the two loads (new rows); the content does not.
        def content(dump: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
            return {table: len(rows) for table, rows in dump.items()}

        assert content(first) == content(second)
        assert await _profiles(clean) == {
            number: (Decimal(aum), tier, "load")
            for number, (_o, _m, _h, aum, tier) in PORTFOLIOS.items()
        }


class TestReload:
    async def test_second_load_changes_nothing(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake")
        await _load(clean, lake)
        first = await _dump(clean)

        summary = await _load(clean, lake)

        assert await _dump(clean) == first
        assert summary.holdings_removed == 0

    async def test_a_lost_card_is_updated(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        before = await _dump(clean)
        changed = fixture_lake.copy()
        card = next(c for c in changed.rows(layout.CREDENTIALS) if c["kind"] == "debit_card")
        card["status"] = "lost"

        await _load(clean, changed.write(tmp_path / "v2"))

        status = await _scalars(
            clean, select(Credential.status).where(Credential.lookup_hash == card["lookup_hash"])
        )
        assert status == ["lost"]
        after = await _dump(clean)
        # Nothing else moved: the same ids, the same rows.
        assert {t: r for t, r in after.items() if t != "credentials"} == {
            t: r for t, r in before.items() if t != "credentials"
        }
        assert len(after["credentials"]) == len(before["credentials"])
        assert [r[0] for r in after["credentials"]] == [r[0] for r in before["credentials"]]

    async def test_a_closed_holding_is_removed_and_the_tier_follows(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        changed = fixture_lake.copy()
        deposit = next(
            h
            for h in changed.rows(layout.HOLDINGS)
            if h["customer_number"] == "T0000000006" and h["category"] == "time_deposit"
        )
        deposit["status"] = "closed"
        # A holding that leaves the lake altogether goes too.
        gone = next(
            h for h in changed.rows(layout.HOLDINGS) if h["customer_number"] == "T0000000004"
        )
        changed.rows(layout.HOLDINGS).remove(gone)
        # And a changed balance is updated.
        current = next(
            h for h in changed.rows(layout.HOLDINGS) if h["customer_number"] == "T0000000009"
        )
        current["balance"] = Decimal("60000.00")

        summary = await _load(clean, changed.write(tmp_path / "v2"))

        assert summary.holdings_removed == 2
        ids = set(await _scalars(clean, select(Holding.id).where(Holding.id >= FIRST_HOLDING_ID)))
        assert deposit["holding_id"] not in ids
        assert gone["holding_id"] not in ids
        balance = await _scalars(
            clean, select(Holding.balance).where(Holding.id == current["holding_id"])
        )
        assert balance == [Decimal("60000.00")]
        profiles = await _profiles(clean)
        assert profiles["T0000000006"] == (Decimal("0.00"), "standard", "load")
        assert profiles["T0000000004"] == (Decimal("0.00"), "standard", "load")
        assert profiles["T0000000009"] == (Decimal("60000.00"), "gold", "load")

    async def test_profiles_from_the_analysis_are_not_overwritten(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        published = select(Customer.id).where(Customer.number == "T0000000003").scalar_subquery()
        async with clean.begin() as conn:
            await conn.execute(
                update(CustomerProfile)
                .where(CustomerProfile.customer_id == published)
                .values(tier="diamond", aum=Decimal("2500000.00"), source="run-20240630")
            )
        changed = fixture_lake.copy()
        for holding in changed.rows(layout.HOLDINGS):
            if holding["customer_number"] in {"T0000000003", "T0000000007"}:
                holding["status"] = "closed"
        changed.rows(layout.HOLDINGS).append(
            {
                "holding_id": 999_999,
                "customer_number": "T0000000007",
                "product_code": "TINS_LIFE",
                "category": "insurance",
                "balance": Decimal("700000.00"),
                "opened_on": fixture_lake.rows(layout.CUSTOMERS)[6]["opened_on"],
                "maturity_on": None,
                "status": "active",
                "closed_on": None,
            }
        )

        await _load(clean, changed.write(tmp_path / "v2"))

        profiles = await _profiles(clean)
        assert profiles["T0000000003"] == (Decimal("2500000.00"), "diamond", "run-20240630")
        assert profiles["T0000000007"] == (Decimal("700000.00"), "platinum", "load")

    async def test_passwords_and_deactivation_survive_a_reload(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake")
        await _load(clean, lake)
        async with clean.begin() as conn:
            await conn.execute(
                update(Staff)
                .where(Staff.username == "t.bj001.am1")
                .values(password_hash="argon2-hash", active=False)
            )

        await _load(clean, lake)

        staff = await _scalars(clean, select(Staff).where(Staff.username == "t.bj001.am1"))
        assert (staff[0].password_hash, staff[0].active) == ("argon2-hash", False)

    async def test_new_holdings_from_the_application_do_not_collide_with_lake_ids(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "lake"))
        top = max(h["holding_id"] for h in fixture_lake.rows(layout.HOLDINGS))

        async with AsyncSession(clean) as session, session.begin():
            customer = await session.scalar(
                select(Customer).where(Customer.number == "T0000000007")
            )
            assert customer is not None
            holding = Holding(
                customer_id=customer.id,
                product_code="TDEP_CURRENT",
                category="deposit",
                balance=Decimal("1.00"),
                opened_on=customer.opened_on,
            )
            session.add(holding)
            await session.flush()
            assert holding.id > top

    async def test_indexes_and_constraints_are_intact_after_a_first_load(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        # On PostgreSQL a first load drops and rebuilds them (see ``_make_room``).
        before = await _schema(clean)

        await _load(clean, fixture_lake.write(tmp_path / "lake"))

        assert await _schema(clean) == before


class TestBadLake:
    async def _assert_unchanged_after(
        self, engine: AsyncEngine, lake: Path, error: type[AppError], code: str
    ) -> AppError:
        before = await _dump(engine)
        with pytest.raises(error) as raised:
            await _load(engine, lake)
        assert raised.value.code == code
        assert await _dump(engine) == before
        return raised.value

    async def test_missing_lake(self, clean: AsyncEngine, tmp_path: Path) -> None:
        error = await self._assert_unchanged_after(
            clean, tmp_path / "nowhere", LakeMissingError, "lake_missing"
        )
        assert str(tmp_path / "nowhere") in str(error)

    async def test_empty_lake_folder(self, clean: AsyncEngine, tmp_path: Path) -> None:
        (tmp_path / "empty").mkdir()

        error = await self._assert_unchanged_after(
            clean, tmp_path / "empty", LakeMissingError, "lake_missing"
        )
        assert error.params["table"] == "org_units"

    async def test_unreadable_file(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake")
        layout.STAFF.path(lake).write_bytes(b"not parquet at all")

        error = await self._assert_unchanged_after(
            clean, lake, LakeSchemaError, "lake_schema_mismatch"
        )
        assert error.params["table"] == "staff"

    async def test_missing_table_changes_nothing(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        broken = fixture_lake.copy()
        del broken.tables[layout.HOLDINGS.name]
        broken.rows(layout.CUSTOMERS)[0]["name"] = "改过的名字"

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "v2"), LakeMissingError, "lake_missing"
        )
        assert "holdings" in str(error)

    async def test_missing_column_names_table_and_column(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake", drop={"credentials": "masked"})

        error = await self._assert_unchanged_after(
            clean, lake, LakeSchemaError, "lake_schema_mismatch"
        )
        assert error.params["table"] == "credentials"
        assert error.params["columns"] == "masked"
        assert "credentials" in str(error) and "masked" in str(error)

    async def test_column_of_the_wrong_type(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        lake = fixture_lake.write(tmp_path / "lake")
        path = layout.PRODUCTS.path(lake)
        import pyarrow as pa
        import pyarrow.parquet as pq

        products = pq.read_table(path)
        index = products.schema.get_field_index("risk_level")
        products = products.set_column(
            index,
            "risk_level",
            pa.array([str(v) for v in products.column("risk_level").to_pylist()]),
        )
        pq.write_table(products, path)

        error = await self._assert_unchanged_after(
            clean, lake, LakeSchemaError, "lake_schema_mismatch"
        )
        assert error.params["column"] == "risk_level"

    async def test_unknown_product_rolls_the_whole_load_back(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        broken = fixture_lake.copy()
        # Customers are upserted before holdings fail: that change must not survive.
        broken.rows(layout.CUSTOMERS)[0]["name"] = "改过的名字"
        broken.rows(layout.HOLDINGS)[0]["product_code"] = "TNO_SUCH_PRODUCT"

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "v2"), LakeIntegrityError, "lake_integrity"
        )
        assert "TNO_SUCH_PRODUCT" in str(error)
        assert error.params["table"] == "holdings"

    async def test_unknown_outlet_on_first_load_leaves_the_database_empty(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        broken = fixture_lake.copy()
        broken.rows(layout.CUSTOMERS)[3]["home_outlet_code"] = "TBJ"  # a branch, not an outlet

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "lake"), LakeIntegrityError, "lake_integrity"
        )
        assert error.params["table"] == "customers"
        orgs = await _scalars(clean, select(func.count()).where(OrgUnit.code.like("T%")))
        assert orgs == [0]

    async def test_duplicate_lookup_hash(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        broken = fixture_lake.copy()
        credentials = broken.rows(layout.CREDENTIALS)
        credentials.append({**credentials[0], "customer_number": "T0000000002"})

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "lake"), LakeIntegrityError, "lake_integrity"
        )
        assert credentials[0]["lookup_hash"] in str(error)

    async def test_duplicate_lookup_hash_on_a_reload(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        await _load(clean, fixture_lake.write(tmp_path / "v1"))
        broken = fixture_lake.copy()
        credentials = broken.rows(layout.CREDENTIALS)
        credentials.append({**credentials[5], "status": "lost"})

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "v2"), LakeIntegrityError, "lake_integrity"
        )
        assert credentials[5]["lookup_hash"] in str(error)

    async def test_duplicate_holding_id(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        broken = fixture_lake.copy()
        holdings = broken.rows(layout.HOLDINGS)
        holdings.append({**holdings[0], "customer_number": "T0000000002"})

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "lake"), LakeIntegrityError, "lake_integrity"
        )
        assert str(holdings[0]["holding_id"]) in str(error)

    async def test_org_cycle(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        broken = fixture_lake.copy()
        head = next(o for o in broken.rows(layout.ORG_UNITS) if o["code"] == "THO")
        head["parent_code"] = "TBJ001"

        await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "lake"), LakeIntegrityError, "lake_integrity"
        )

    async def test_unknown_role_is_a_lake_error(
        self, clean: AsyncEngine, fixture_lake: FixtureLake, tmp_path: Path
    ) -> None:
        broken = fixture_lake.copy()
        broken.rows(layout.STAFF)[0]["role"] = "astronaut"

        error = await self._assert_unchanged_after(
            clean, broken.write(tmp_path / "lake"), LakeIntegrityError, "lake_integrity"
        )
        assert error.params["table"] == "staff"
