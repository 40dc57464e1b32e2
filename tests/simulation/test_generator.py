"""The synthetic bank generator: layout, credentials, wealth, history, determinism.

One 20,000-customer bank is generated per module (in chunks of 5,000, so that everything
that crosses chunk boundaries is exercised) and shared by the read-only tests.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from smartbranch.credentials import (
    CredentialHasher,
    CredentialKind,
    gb11643_check_char,
    is_luhn_valid,
    luhn_check_digit,
    mask_card,
    mask_id_number,
    validate,
)
from smartbranch.settings import Settings
from smartbranch.simulation.bank import (
    HIDDEN_BEHAVIOUR,
    MANIFEST,
    TEST_CARDS,
    BankSpec,
    GenerateSummary,
    LakeNotReplaceableError,
    generate_bank,
)
from smartbranch.simulation.cards import IdNumberRegistry
from smartbranch.simulation.common import (
    TIER_THRESHOLDS_FEN,
    TIERS,
    affine_permutation,
    digit_matrix,
    gb11643_check_chars,
    luhn_check_digits,
)
from smartbranch.simulation.customers import TIER_SHARES
from smartbranch.simulation.orgs import ALL_CITIES, BRANCH_CITIES
from smartbranch.simulation.schema import OFFER_FAMILIES
from smartbranch.simulation.testcards import HEADER_COMMENT, read_test_cards

KEY = bytes(range(100, 132))
SPEC = BankSpec(customers=20_000, seed=42, chunk_size=5_000, test_cards=200)
AS_OF = SPEC.as_of
ROOT = Path(__file__).resolve().parents[2]
FOLDER_TABLES = (
    "customers",
    "credentials",
    "holdings",
    "balances_monthly",
    "transactions",
    "visits",
)


@dataclass(frozen=True)
class Generated:
    lake: Path
    simulation: Path
    summary: GenerateSummary
    progress: list[tuple[str, int, int]]

    def table(self, name: str) -> pa.Table:
        path = self.lake / name if name in FOLDER_TABLES else self.lake / f"{name}.parquet"
        return pq.read_table(path)


def _generate(root: Path, spec: BankSpec) -> Generated:
    calls: list[tuple[str, int, int]] = []
    summary = generate_bank(
        spec, root / "lake", root / "simulation", KEY, progress=lambda *a: calls.append(a)
    )
    return Generated(root / "lake", root / "simulation", summary, calls)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _generate(tmp_path_factory.mktemp("bank"), SPEC)


@pytest.fixture(scope="module")
def tables(bank: Generated) -> dict[str, pa.Table]:
    names = (*FOLDER_TABLES, "org_units", "staff", "products", "payroll", "loan_payoffs")
    return {name: bank.table(name) for name in names}


@pytest.fixture(scope="module")
def test_cards(bank: Generated) -> list[dict[str, str]]:
    return read_test_cards(bank.simulation / TEST_CARDS)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _parquet_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def _contract_from_lake_md() -> dict[str, list[str]]:
    """File or folder name -> columns, read from the table in docs/lake.md."""
    contract: dict[str, list[str]] = {}
    for line in (ROOT / "docs" / "lake.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        location = cells[1].strip("`").rstrip("/")  # `customers/` is a folder of parts
        if location.endswith(".json"):
            continue
        contract[location] = re.findall(r"`([a-z_]+)`", cells[2])
    return contract


def _age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _aum_by_customer(holdings: pa.Table) -> dict[str, Decimal]:
    asset_categories = pa.array(["deposit", "time_deposit", "wealth", "fund", "insurance"])
    assets = holdings.filter(
        pc.and_(
            pc.is_in(holdings["category"], asset_categories),
            pc.equal(holdings["status"], "active"),
        )
    )
    grouped = assets.group_by("customer_number").aggregate([("balance", "sum")])
    return dict(
        zip(grouped["customer_number"].to_pylist(), grouped["balance_sum"].to_pylist(), strict=True)
    )


def _tier_name(aum: Decimal) -> str:
    bounds = [Decimal(int(b)) / 100 for b in TIER_THRESHOLDS_FEN]
    return TIERS[sum(aum >= b for b in bounds)]


class TestBankSpec:
    def test_branches_default_to_a_quarter_of_the_outlets(self) -> None:
        assert BankSpec(outlets=12).branch_count == 3
        assert BankSpec(outlets=3).branch_count == 1
        assert BankSpec(outlets=12, branches=5).branch_count == 5
        assert BankSpec(outlets=200).branch_count == 50
        assert BankSpec(outlets=1_000).branch_count == len(BRANCH_CITIES)  # one per city

    @pytest.mark.parametrize(
        "spec",
        [
            BankSpec(customers=0),
            BankSpec(outlets=2, branches=3),
            BankSpec(outlets=100, branches=71),
            BankSpec(chunk_size=0),
            BankSpec(test_cards=-1),
        ],
    )
    def test_invalid_specs_are_refused_before_any_write(
        self, spec: BankSpec, tmp_path: Path
    ) -> None:
        with pytest.raises(ValueError):
            generate_bank(spec, tmp_path / "lake", tmp_path / "sim", KEY)
        assert not (tmp_path / "lake").exists()

    def test_thresholds_match_the_settings_default(self) -> None:
        default = Settings.model_fields["tier_thresholds_cny"].default
        assert [int(b * 100) for b in default] == TIER_THRESHOLDS_FEN.tolist()


class TestLakeLayout:
    def test_every_table_of_lake_md_is_written_with_exactly_its_columns(
        self, bank: Generated
    ) -> None:
        contract = _contract_from_lake_md()
        assert len(contract) == 11
        for location, columns in contract.items():
            path = bank.lake / location
            files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
            assert files, location
            for file in files:
                assert pq.read_schema(file).names == columns, file

    def test_types_follow_the_contract(self, bank: Generated) -> None:
        for file in _parquet_files(bank.lake):
            for field in pq.read_schema(file):
                if field.name in ("balance", "amount", "monthly_amount"):
                    assert field.type == pa.decimal128(18, 2), (file, field)
                if field.name.endswith(("_on", "_date", "_end")) or field.name in (
                    "month",
                    "since",
                ):
                    assert field.type == pa.date32(), (file, field)

    def test_the_loader_accepts_every_table(self, bank: Generated) -> None:
        layout = pytest.importorskip("smartbranch.lake.layout")
        for table in layout.ALL_TABLES:
            files = table.files(bank.lake)
            assert files, table.name
            for file in files:
                schema = pq.read_schema(file)
                assert list(schema.names) == list(table.column_names), file

    def test_part_files_per_chunk(self, bank: Generated) -> None:
        for name in FOLDER_TABLES:
            parts = sorted(p.name for p in (bank.lake / name).iterdir())
            assert parts == [f"part-{i:05d}.parquet" for i in range(4)], name

    def test_manifest(self, bank: Generated, tables: dict[str, pa.Table]) -> None:
        manifest = json.loads((bank.lake / MANIFEST).read_text(encoding="utf-8"))
        assert manifest["schema_version"] == 1
        assert manifest["seed"] == 42
        assert manifest["as_of"] == "2026-11-28"
        assert manifest["generator_version"]
        for name, table in tables.items():
            assert manifest["counts"][name] == table.num_rows == bank.summary.counts[name]

    def test_hidden_behaviour_lives_outside_the_lake(self, bank: Generated) -> None:
        hidden = bank.simulation / HIDDEN_BEHAVIOUR
        assert hidden.is_file()
        assert not hidden.resolve().is_relative_to(bank.lake.resolve())
        assert not any("behaviour" in p.name for p in bank.lake.rglob("*"))
        for file in _parquet_files(bank.lake):
            assert not set(OFFER_FAMILIES) & set(pq.read_schema(file).names), file

    def test_simulation_inside_the_lake_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="outside the lake"):
            generate_bank(BankSpec(customers=100), tmp_path / "lake", tmp_path / "lake" / "s", KEY)

    def test_progress_reaches_every_customer(self, bank: Generated) -> None:
        customers = [c for c in bank.progress if c[0] == "customers"]
        assert [done for _, done, _ in customers] == [5_000, 10_000, 15_000, 20_000]
        assert all(total == 20_000 for _, _, total in customers)
        assert ("publish", 1, 1) in bank.progress


class TestOrgTree:
    def test_head_office_branches_and_outlets(self, tables: dict[str, pa.Table]) -> None:
        units = tables["org_units"].to_pylist()
        kinds = Counter(u["kind"] for u in units)
        assert kinds == {"head_office": 1, "branch": 3, "outlet": 12}
        head = units[0]
        assert (head["code"], head["name"], head["parent_code"]) == ("HO", "总行", None)
        assert {u["timezone"] for u in units} == {"Asia/Shanghai"}
        branches = [u for u in units if u["kind"] == "branch"]
        assert [b["code"] for b in branches] == ["BJ", "SH", "GZ"]
        outlets = [u for u in units if u["kind"] == "outlet"]
        assert Counter(o["parent_code"] for o in outlets) == {"BJ": 4, "SH": 4, "GZ": 4}
        bj001 = next(o for o in outlets if o["code"] == "BJ001")
        assert bj001["name"] == "北京朝阳支行"
        assert bj001["name_en"] == "Beijing Chaoyang Sub-branch"
        branch_city = {b["code"]: b["city"] for b in branches}
        assert all(o["city"] == branch_city[o["parent_code"]] for o in outlets)
        assert all(o["name"].startswith(o["city"]) for o in outlets)

    def test_staff_per_outlet_branch_and_head_office(self, tables: dict[str, pa.Table]) -> None:
        staff = tables["staff"].to_pylist()
        usernames = [s["username"] for s in staff]
        assert len(set(usernames)) == len(usernames)
        bj001 = Counter(s["role"] for s in staff if s["org_code"] == "BJ001")
        assert bj001 == {
            "lobby_manager": 2,
            "wealth_manager": 2,
            "account_manager": 4,
            "teller": 4,
            "outlet_manager": 1,
        }
        assert Counter(s["role"] for s in staff if s["org_code"] == "SH") == {"marketing_admin": 1}
        assert Counter(s["role"] for s in staff if s["org_code"] == "HO") == {
            "admin": 1,
            "marketing_admin": 1,
            "auditor": 1,
        }
        for name in ("ho.admin", "bj001.lobby1", "bj001.teller2", "bj001.account4"):
            assert name in usernames
        assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", s["display_name"]) for s in staff)

    def test_products(self, tables: dict[str, pa.Table]) -> None:
        products = tables["products"].to_pylist()
        assert 25 <= len(products) <= 40
        by_category = Counter(p["category"] for p in products)
        assert set(by_category) == {
            "deposit", "time_deposit", "wealth", "fund", "insurance", "credit_card", "loan"
        }  # fmt: skip
        terms = {p["term_days"] for p in products if p["category"] == "time_deposit"}
        assert {91, 182, 365, 730, 1095} <= terms
        assert {p["risk_level"] for p in products if p["category"] == "wealth"} == {1, 2, 3, 4, 5}
        assert {p["risk_level"] for p in products if p["category"] == "fund"} == {2, 3, 4, 5}
        assert all(p["name"] and p["name_en"] for p in products)


class TestCustomers:
    def test_identity_fields(self, tables: dict[str, pa.Table]) -> None:
        customers = tables["customers"]
        numbers = customers["customer_number"].to_pylist()
        assert len(set(numbers)) == len(numbers) == 20_000
        assert all(re.fullmatch(r"C\d{10}", n) for n in numbers)
        assert all(re.fullmatch(r"1(3\d|5[0-35-9]|8\d|9[1-35-9])\d{8}", p)
                   for p in customers["phone"].to_pylist())  # fmt: skip
        assert set(customers["gender"].to_pylist()) == {"M", "F"}
        ages = [_age_on(b, AS_OF) for b in customers["birth_date"].to_pylist()]
        assert min(ages) >= 18 and max(ages) <= 85
        names = customers["name"].to_pylist()
        assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
        assert len(set(names)) > 5_000

    def test_opened_within_twenty_years_and_as_an_adult(self, tables: dict[str, pa.Table]) -> None:
        customers = tables["customers"].to_pylist()
        for c in customers[:3000]:
            assert AS_OF - datetime.timedelta(days=20 * 365 + 1) <= c["opened_on"] <= AS_OF
            assert _age_on(c["birth_date"], c["opened_on"]) >= 18

    def test_about_fifteen_percent_come_from_another_city(
        self, tables: dict[str, pa.Table]
    ) -> None:
        city = {u["code"]: u["city"] for u in tables["org_units"].to_pylist()}
        customers = tables["customers"].to_pylist()
        away = sum(c["home_city"] != city[c["home_outlet_code"]] for c in customers)
        assert 0.13 <= away / len(customers) <= 0.17

    def test_account_managers_by_tier(self, tables: dict[str, pa.Table]) -> None:
        aum = _aum_by_customer(tables["holdings"])
        staff = {s["username"]: s for s in tables["staff"].to_pylist()}
        managed: dict[str, list[bool]] = {t: [] for t in TIERS}
        for c in tables["customers"].to_pylist():
            manager = c["account_manager"]
            managed[_tier_name(aum[c["customer_number"]])].append(manager is not None)
            if manager is not None:
                assert staff[manager]["role"] == "account_manager"
                assert staff[manager]["org_code"] == c["home_outlet_code"]
        for tier in ("platinum", "diamond", "private"):
            assert all(managed[tier])
        assert 0.35 <= np.mean(managed["gold"]) <= 0.45
        assert 0.03 <= np.mean(managed["standard"]) <= 0.07

    def test_risk_tolerance_grows_with_wealth(self, tables: dict[str, pa.Table]) -> None:
        aum = _aum_by_customer(tables["holdings"])
        risk: dict[str, list[int]] = {t: [] for t in TIERS}
        for c in tables["customers"].to_pylist():
            risk[_tier_name(aum[c["customer_number"]])].append(c["risk_tolerance"])
        assert set(risk["standard"]) <= {1, 2, 3, 4, 5}
        assert np.mean(risk["standard"]) < np.mean(risk["gold"]) < np.mean(risk["platinum"])


class TestTierShares:
    def test_shares_by_current_aum_are_within_two_points(
        self, bank: Generated, tables: dict[str, pa.Table]
    ) -> None:
        aum = _aum_by_customer(tables["holdings"])
        assert len(aum) == 20_000  # everyone has a deposit account
        counts = Counter(_tier_name(v) for v in aum.values())
        for tier, target in zip(TIERS, TIER_SHARES, strict=True):
            share = counts[tier] / len(aum)
            assert abs(share - target) <= 0.02, (tier, share)
            assert bank.summary.tier_counts[tier] == counts[tier]
            assert bank.summary.tier_shares[tier] == pytest.approx(share)

    def test_wealth_is_heavy_tailed(self, tables: dict[str, pa.Table]) -> None:
        values = np.array([float(v) for v in _aum_by_customer(tables["holdings"]).values()])
        top = np.sort(values)[-len(values) // 100 :]
        assert top.sum() / values.sum() > 0.3  # the top 1 % hold a large part of the assets
        assert values.max() > 6_000_000


class TestCredentials:
    def test_masked_forms_and_hashes_look_right(self, tables: dict[str, pa.Table]) -> None:
        credentials = tables["credentials"].to_pylist()
        patterns = {
            "id_card": r"\d{6}\*{8}\d{3}[\dX]",
            "debit_card": r"62\d{4}\*{9}\d{4}",
            "credit_card": r"(4|5|62)\d{4,5}\*{6}\d{4}",
            "passbook": r"\d{6}\*{7}\d{4}",
        }
        for c in credentials:
            assert re.fullmatch(patterns[c["kind"]], c["masked"]), c
            assert re.fullmatch(r"[0-9a-f]{64}", c["lookup_hash"])
            assert (c["card_level"] is not None) == (c["kind"] == "credit_card")

    def test_lookup_hashes_are_unique(self, tables: dict[str, pa.Table]) -> None:
        hashes = tables["credentials"]["lookup_hash"]
        assert pc.count_distinct(hashes).as_py() == len(hashes)

    def test_who_holds_what(self, tables: dict[str, pa.Table]) -> None:
        credentials = tables["credentials"].to_pylist()
        per_customer: dict[str, Counter[str]] = {}
        for c in credentials:
            per_customer.setdefault(c["customer_number"], Counter())[c["kind"]] += 1
        assert len(per_customer) == 20_000
        assert all(k["id_card"] == 1 and 1 <= k["debit_card"] <= 2 for k in per_customer.values())
        n = len(per_customer)
        assert 0.26 <= sum(k["credit_card"] for k in per_customer.values()) / n <= 0.34
        assert 0.07 <= sum(k["passbook"] for k in per_customer.values()) / n <= 0.13
        cards = [c for c in credentials if c["kind"] != "id_card"]
        status = Counter(c["status"] for c in cards)
        assert 0.015 <= status["lost"] / len(cards) <= 0.025
        assert 0.025 <= status["closed"] / len(cards) <= 0.035
        assert all(c["status"] == "active" for c in credentials if c["kind"] == "id_card")

    def test_id_region_comes_from_the_home_city(self, tables: dict[str, pa.Table]) -> None:
        regions = {c.name: {d.region for d in c.districts} for c in ALL_CITIES}
        home = dict(
            zip(
                tables["customers"]["customer_number"].to_pylist(),
                tables["customers"]["home_city"].to_pylist(),
                strict=True,
            )
        )
        for c in tables["credentials"].to_pylist():
            if c["kind"] == "id_card":
                assert c["masked"][:6] in regions[home[c["customer_number"]]]

    def test_no_clear_number_anywhere_in_the_lake(self, bank: Generated) -> None:
        clear = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
        id_like = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")
        scanned = 0
        for file in [*_parquet_files(bank.lake), *_parquet_files(bank.simulation)]:
            table = pq.read_table(file)
            for name in table.column_names:
                column = table[name]
                if not pa.types.is_string(column.type):
                    continue
                if name == "lookup_hash":  # hex digests, checked to be 64 hex digits above
                    continue
                values = pc.unique(column.combine_chunks().drop_null())
                # Only values with 12+ consecutive digits can hide a number; filter in C++.
                suspects = values.filter(pc.match_substring_regex(values, r"\d{12}"))
                scanned += len(values)
                for value in suspects.to_pylist():
                    for run in clear.findall(value):
                        assert not is_luhn_valid(run), (file, name)
                    for run in id_like.findall(value):
                        assert gb11643_check_char(run[:17]) != run[17], (file, name)
        assert scanned > 50_000
        manifest = (bank.lake / MANIFEST).read_text(encoding="utf-8")
        assert not re.search(r"\d{12}", manifest)

    def test_clear_test_numbers_appear_nowhere_in_the_lake(
        self, bank: Generated, test_cards: list[dict[str, str]]
    ) -> None:
        numbers = {row["number"] for row in test_cards}
        for file in _parquet_files(bank.lake):
            table = pq.read_table(file)
            for name in table.column_names:
                if pa.types.is_string(table[name].type):
                    values = set(pc.unique(table[name].combine_chunks()).to_pylist())
                    assert not values & numbers, (file, name)


class TestTestCards:
    def test_file_is_marked_as_test_data(self, bank: Generated) -> None:
        lines = (bank.simulation / TEST_CARDS).read_text(encoding="utf-8").splitlines()
        assert lines[0] == HEADER_COMMENT
        assert lines[1] == "customer_number,name,tier,kind,number,status"

    def test_sample_covers_tiers_and_a_lost_card(self, test_cards: list[dict[str, str]]) -> None:
        customers = {row["customer_number"] for row in test_cards}
        assert len(customers) == 200
        tiers = Counter(row["tier"] for row in test_cards if row["kind"] == "id_card")
        assert set(tiers) == set(TIERS)
        assert tiers["diamond"] >= 5 and tiers["private"] >= 5
        assert any(r["status"] == "lost" and r["kind"] != "id_card" for r in test_cards)
        assert {r["kind"] for r in test_cards} == {k.value for k in CredentialKind}

    def test_numbers_are_valid(self, test_cards: list[dict[str, str]]) -> None:
        lengths = {"debit_card": 19, "credit_card": 16, "passbook": 17, "id_card": 18}
        for row in test_cards:
            number, kind = row["number"], CredentialKind(row["kind"])
            assert len(number) == lengths[kind]
            if kind is CredentialKind.ID_CARD:
                assert gb11643_check_char(number[:17]) == number[17]
            else:
                assert is_luhn_valid(number)
            # What the kiosk will accept, as of the history's last day.
            assert validate(kind, number, today=AS_OF) == number

    def test_numbers_are_unique(self, test_cards: list[dict[str, str]]) -> None:
        numbers = [row["number"] for row in test_cards]
        assert len(set(numbers)) == len(numbers)

    def test_numbers_hash_to_the_lake_credentials(
        self, test_cards: list[dict[str, str]], tables: dict[str, pa.Table]
    ) -> None:
        hasher = CredentialHasher(KEY)
        lake = {c["lookup_hash"]: c for c in tables["credentials"].to_pylist()}
        for row in test_cards:
            kind = CredentialKind(row["kind"])
            stored = lake[hasher.lookup_hash(kind, row["number"])]
            assert stored["customer_number"] == row["customer_number"]
            assert stored["kind"] == row["kind"]
            assert stored["status"] == row["status"]
            mask = mask_id_number if kind is CredentialKind.ID_CARD else mask_card
            assert stored["masked"] == mask(row["number"])

    def test_id_numbers_agree_with_the_customer(
        self, test_cards: list[dict[str, str]], tables: dict[str, pa.Table]
    ) -> None:
        customers = {c["customer_number"]: c for c in tables["customers"].to_pylist()}
        for row in test_cards:
            if row["kind"] != "id_card":
                continue
            customer = customers[row["customer_number"]]
            number = row["number"]
            assert customer["name"] == row["name"]
            assert number[6:14] == customer["birth_date"].strftime("%Y%m%d")
            assert int(number[16]) % 2 == (1 if customer["gender"] == "M" else 0)

    def test_tier_is_the_tier_by_current_assets(
        self, test_cards: list[dict[str, str]], tables: dict[str, pa.Table]
    ) -> None:
        aum = _aum_by_customer(tables["holdings"])
        for row in test_cards:
            assert row["tier"] == _tier_name(aum[row["customer_number"]])


class TestNumberRules:
    def test_every_city_gives_ids_the_kiosk_accepts(self) -> None:
        codes = [d.region for c in ALL_CITIES for d in c.districts]
        assert len({c.code for c in BRANCH_CITIES}) == len(BRANCH_CITIES) >= 50
        for region in codes:
            first17 = f"{region}19800101123"
            number = first17 + gb11643_check_char(first17)
            assert validate(CredentialKind.ID_CARD, number, today=AS_OF) == number

    def test_vectorised_luhn_agrees_with_credentials(self) -> None:
        rng = np.random.default_rng(1)
        payloads = rng.integers(0, 10**17, 2_000)
        digits = digit_matrix(payloads, 18)
        checks = luhn_check_digits(digits)
        for row, check in zip(digits.tolist(), checks.tolist(), strict=True):
            assert luhn_check_digit("".join(map(str, row))) == str(check)

    def test_vectorised_gb11643_agrees_with_credentials(self) -> None:
        rng = np.random.default_rng(2)
        digits = digit_matrix(rng.integers(10**16, 10**17, 2_000), 17)
        checks = gb11643_check_chars(digits)
        for row, check in zip(digits.tolist(), checks.tolist(), strict=True):
            assert gb11643_check_char("".join(map(str, row))) == chr(check)

    def test_affine_permutation_is_a_bijection(self) -> None:
        values = np.arange(10_000, dtype=np.int64)
        permuted = affine_permutation(values, 7_919, 1_234, 10_000)
        assert sorted(permuted.tolist()) == values.tolist()
        big = np.array([0, 1, 10**9, 2 * 10**9 + 1], np.int64)
        expected = [(379_721_845_113 * int(v) + 5) % 10**12 for v in big]
        assert affine_permutation(big, 379_721_845_113, 5, 10**12).tolist() == expected

    def test_id_registry_resolves_clashes_keeping_gender_parity(self) -> None:
        registry = IdNumberRegistry()
        rng = np.random.default_rng(3)
        n = 400
        region = np.full(n, 110105, np.int64)
        birth = np.full(n, 7_000, np.int64)  # everyone born the same day in one district
        male = np.tile(np.array([0, 1], np.int64), n // 2)
        first = registry.assign(rng, region, birth, male)
        second = registry.assign(rng, region[:100], birth[:100], male[:100])
        keys = np.concatenate([first, second])
        assert len(np.unique(keys)) == len(keys)
        assert ((keys % 10) % 2 == np.concatenate([male, male[:100]])).all()


class TestHoldings:
    def test_ids_unique_and_balances_sane(self, tables: dict[str, pa.Table]) -> None:
        holdings = tables["holdings"]
        ids = holdings["holding_id"]
        assert pc.count_distinct(ids).as_py() == len(ids)
        assert pc.min(holdings["balance"]).as_py() >= 0
        rows = holdings.to_pylist()
        for h in rows:
            if h["status"] == "closed":
                assert h["closed_on"] <= AS_OF and h["balance"] == 0
            else:
                assert h["closed_on"] is None and h["opened_on"] <= AS_OF
                if h["maturity_on"] is not None:
                    assert h["maturity_on"] > AS_OF
        deposits = Counter(h["customer_number"] for h in rows if h["category"] == "deposit")
        assert set(deposits.values()) == {1}

    def test_some_products_mature_within_thirty_days(self, tables: dict[str, pa.Table]) -> None:
        soon = [
            h for h in tables["holdings"].to_pylist()
            if h["status"] == "active" and h["maturity_on"] is not None
            and h["maturity_on"] <= AS_OF + datetime.timedelta(days=30)
            and h["category"] in ("time_deposit", "wealth")
        ]  # fmt: skip
        assert len(soon) > 500

    def test_wealth_and_funds_suit_the_customer(self, tables: dict[str, pa.Table]) -> None:
        risk = {p["code"]: p["risk_level"] for p in tables["products"].to_pylist()}
        tolerance = dict(
            zip(
                tables["customers"]["customer_number"].to_pylist(),
                tables["customers"]["risk_tolerance"].to_pylist(),
                strict=True,
            )
        )
        for h in tables["holdings"].to_pylist():
            if h["category"] in ("wealth", "fund") and h["status"] == "active":
                assert risk[h["product_code"]] <= tolerance[h["customer_number"]]

    def test_credit_card_holdings_match_the_cards(self, tables: dict[str, pa.Table]) -> None:
        levels = {
            c["customer_number"]: c["card_level"]
            for c in tables["credentials"].to_pylist()
            if c["kind"] == "credit_card"
        }
        held = {
            h["customer_number"]: h["product_code"]
            for h in tables["holdings"].to_pylist()
            if h["category"] == "credit_card"
        }
        assert held == {c: f"CC-{level.upper()}" for c, level in levels.items()}

    def test_loans_and_early_payoffs(self, tables: dict[str, pa.Table]) -> None:
        holdings = {h["holding_id"]: h for h in tables["holdings"].to_pylist()}
        borrowers = {h["customer_number"] for h in holdings.values() if h["category"] == "loan"}
        assert 0.12 <= len(borrowers) / 20_000 <= 0.18
        payoffs = tables["loan_payoffs"].to_pylist()
        assert 0.015 <= len(payoffs) / len(borrowers) <= 0.045
        window = AS_OF - datetime.timedelta(days=364)
        for p in payoffs:
            loan = holdings[p["holding_id"]]
            assert loan["category"] == "loan" and loan["status"] == "closed"
            assert loan["customer_number"] == p["customer_number"]
            assert loan["closed_on"] == p["paid_off_on"]
            assert window <= p["paid_off_on"] <= AS_OF
            assert p["paid_off_on"] < p["scheduled_end"]  # early, by definition
            assert p["scheduled_end"] == loan["maturity_on"]
        recent = [p for p in payoffs if p["paid_off_on"] > AS_OF - datetime.timedelta(days=90)]
        assert recent


class TestHistory:
    def test_balances_cover_twelve_months_ending_today(self, tables: dict[str, pa.Table]) -> None:
        balances = tables["balances_monthly"]
        months = sorted(set(balances["month"].to_pylist()))
        assert len(months) == 12
        assert months[-1] == datetime.date(2026, 11, 1)
        assert months[0] == datetime.date(2025, 12, 1)
        assert all(m.day == 1 for m in months)

    def test_current_month_equals_holdings_and_the_past_differs(
        self, tables: dict[str, pa.Table]
    ) -> None:
        balances = tables["balances_monthly"]
        holdings = tables["holdings"]
        current = balances.filter(pc.equal(balances["month"], datetime.date(2026, 11, 1)))
        by_pair = {
            (c, k): v
            for c, k, v in zip(
                current["customer_number"].to_pylist(),
                current["category"].to_pylist(),
                current["balance"].to_pylist(),
                strict=True,
            )
        }
        held = holdings.group_by(["customer_number", "category"]).aggregate([("balance", "sum")])
        for c, k, v in zip(
            held["customer_number"].to_pylist(),
            held["category"].to_pylist(),
            held["balance_sum"].to_pylist(),
            strict=True,
        ):
            assert by_pair[(c, k)] == v
        recent = balances.filter(
            pc.and_(
                pc.greater_equal(balances["month"], datetime.date(2026, 9, 1)),
                pc.equal(balances["category"], "deposit"),
            )
        )
        means = recent.group_by("customer_number").aggregate([("balance", "mean")])
        mean_of = dict(zip(means["customer_number"].to_pylist(),
                           means["balance_mean"].to_pylist(), strict=True))  # fmt: skip
        differ = sum(
            abs(float(mean_of[c]) - float(v)) > 0.01 * float(v) + 1
            for (c, k), v in by_pair.items()
            if k == "deposit"
        )
        assert differ > 0.5 * len(mean_of)

    def test_transactions(self, tables: dict[str, pa.Table]) -> None:
        tx = tables["transactions"]
        per_month = len(tx) / 20_000 / 12
        assert 2.5 <= per_month <= 3.5
        days = tx["booked_on"]
        assert pc.min(days).as_py() >= AS_OF - datetime.timedelta(days=364)
        assert pc.max(days).as_py() <= AS_OF
        assert set(tx["channel"].unique().to_pylist()) == {
            "counter",
            "atm",
            "online",
            "mobile",
            "pos",
        }
        assert set(tx["kind"].unique().to_pylist()) == {
            "deposit", "withdrawal", "transfer_in", "transfer_out", "card_spend", "payroll",
            "repayment",
        }  # fmt: skip
        assert pc.min(tx["amount"]).as_py() > 0

    def test_older_customers_use_the_counter_more(self, tables: dict[str, pa.Table]) -> None:
        birth = dict(
            zip(
                tables["customers"]["customer_number"].to_pylist(),
                tables["customers"]["birth_date"].to_pylist(),
                strict=True,
            )
        )
        tx = tables["transactions"].slice(0, 200_000)
        counter: dict[bool, list[bool]] = {True: [], False: []}
        for c, channel in zip(tx["customer_number"].to_pylist(), tx["channel"].to_pylist(),
                              strict=True):  # fmt: skip
            counter[_age_on(birth[c], AS_OF) >= 60].append(channel == "counter")
        assert np.mean(counter[True]) > 2 * np.mean(counter[False])

    def test_payroll_and_card_spend_follow_the_customer(self, tables: dict[str, pa.Table]) -> None:
        payroll = tables["payroll"]
        assert 0.17 <= len(payroll) / 20_000 <= 0.23
        payroll_customers = set(payroll["customer_number"].to_pylist())
        assert all(re.fullmatch(r"E[A-Z]{2}\d{4}", e) for e in payroll["employer_code"].to_pylist())
        tx = tables["transactions"]
        credited = set(tx.filter(pc.equal(tx["kind"], "payroll"))["customer_number"].to_pylist())
        assert credited <= payroll_customers
        # Everyone on payroll for a month or more has been paid through us.
        month_ago = AS_OF - datetime.timedelta(days=31)
        since = dict(
            zip(payroll["customer_number"].to_pylist(), payroll["since"].to_pylist(), strict=True)
        )
        assert {c for c, day in since.items() if day <= month_ago} <= credited
        assert len(since) == len(payroll)  # one payroll row per customer
        card_holders = {
            c["customer_number"] for c in tables["credentials"].to_pylist()
            if c["kind"] == "credit_card"
        }  # fmt: skip
        spenders = set(tx.filter(pc.equal(tx["kind"], "card_spend"))["customer_number"].to_pylist())
        assert spenders <= card_holders

    def test_visits(self, tables: dict[str, pa.Table]) -> None:
        visits = tables["visits"].to_pylist()
        assert 2 <= len(visits) / 20_000 <= 6
        home = dict(
            zip(
                tables["customers"]["customer_number"].to_pylist(),
                tables["customers"]["home_outlet_code"].to_pylist(),
                strict=True,
            )
        )
        at_home = sum(v["outlet_code"] == home[v["customer_number"]] for v in visits)
        assert at_home / len(visits) > 0.8
        assert all(v["visited_on"] <= AS_OF for v in visits)


@pytest.fixture(scope="module")
def behaviour(bank: Generated) -> pa.Table:
    return pq.read_table(bank.simulation / HIDDEN_BEHAVIOUR)


class TestBehaviour:
    def test_one_propensity_per_family_and_customer(self, behaviour: pa.Table) -> None:
        assert behaviour.column_names == ["customer_number", *OFFER_FAMILIES]
        assert behaviour.num_rows == 20_000
        for family in OFFER_FAMILIES:
            assert 0 <= pc.min(behaviour[family]).as_py() <= pc.max(behaviour[family]).as_py() <= 1

    def test_uplifts_follow_the_seed(
        self, behaviour: pa.Table, tables: dict[str, pa.Table]
    ) -> None:
        numbers = behaviour["customer_number"].to_pylist()
        aum = _aum_by_customer(tables["holdings"])
        bounds = [Decimal(int(b)) / 100 for b in TIER_THRESHOLDS_FEN]
        near = {c for c, v in aum.items() if any(Decimal("0.8") * b <= v < b for b in bounds)}
        payroll = set(tables["payroll"]["customer_number"].to_pylist())
        paid_off = set(tables["loan_payoffs"]["customer_number"].to_pylist())
        platinum = {
            c["customer_number"] for c in tables["credentials"].to_pylist()
            if c["card_level"] in ("platinum", "diamond")
        }  # fmt: skip

        def uplift(family: str, group: set[str]) -> float:
            values = np.array(behaviour[family].to_pylist())
            inside = np.array([n in group for n in numbers])
            return float(values[inside].mean() / values[~inside].mean())

        assert 4.3 <= uplift("near_threshold", near) <= 6.3
        assert 1.5 <= uplift("payroll", payroll) <= 1.95
        assert 8.0 <= uplift("loan_prepaid", paid_off) <= 15.0
        assert 1.3 <= uplift("platinum_card_value", platinum) <= 1.8


class TestDeterminism:
    def test_same_spec_same_bytes(self, bank: Generated, tmp_path: Path) -> None:
        again = _generate(tmp_path, SPEC)
        first = {
            **_digests(bank.lake),
            **{f"sim/{k}": v for k, v in _digests(bank.simulation).items()},
        }
        second = {
            **_digests(again.lake),
            **{f"sim/{k}": v for k, v in _digests(again.simulation).items()},
        }
        assert len(first) > 20
        assert first == second

    def test_another_seed_another_bank(self, bank: Generated, tmp_path: Path) -> None:
        spec = BankSpec(customers=20_000, seed=43, chunk_size=5_000, test_cards=200)
        other = _generate(tmp_path, spec)
        first, second = _digests(bank.lake), _digests(other.lake)
        assert first.keys() == second.keys()
        for name in first:
            if name.startswith(("org_units", "staff", "products")):
                continue  # master data that depends on the size of the bank, not on luck
            assert first[name] != second[name], name
        a = {r["number"] for r in read_test_cards(bank.simulation / TEST_CARDS)}
        b = {r["number"] for r in read_test_cards(other.simulation / TEST_CARDS)}
        assert not a & b


class TestOverwrite:
    def test_a_rerun_replaces_the_previous_lake(self, tmp_path: Path) -> None:
        first = BankSpec(customers=500, seed=1, chunk_size=100)
        _generate(tmp_path, first)
        (tmp_path / "simulation" / "demo" / "DEMO-DEVICES.json").write_text("[]")
        second = BankSpec(customers=300, seed=2, chunk_size=100)
        result = _generate(tmp_path, second)
        parts = sorted(p.name for p in (result.lake / "customers").iterdir())
        assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
        assert json.loads((result.lake / MANIFEST).read_text())["seed"] == 2
        assert result.table("customers").num_rows == 300
        # Files that other parts of the system keep in the simulation folder survive.
        assert (tmp_path / "simulation" / "demo" / "DEMO-DEVICES.json").read_text() == "[]"
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
        leftovers += [p.name for p in (tmp_path / "simulation").iterdir() if p.name.startswith(".")]
        assert leftovers == []

    def test_a_failed_run_leaves_the_previous_lake(self, tmp_path: Path) -> None:
        _generate(tmp_path, BankSpec(customers=200, seed=1, chunk_size=100))
        before = _digests(tmp_path)

        def fail(stage: str, done: int, total: int) -> None:
            if stage == "customers" and done >= 200:
                raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            generate_bank(
                BankSpec(customers=300, seed=2, chunk_size=100),
                tmp_path / "lake",
                tmp_path / "simulation",
                KEY,
                progress=fail,
            )
        assert _digests(tmp_path) == before

    def test_a_folder_that_is_not_a_lake_is_left_alone(self, tmp_path: Path) -> None:
        precious = tmp_path / "lake" / "thesis.txt"
        precious.parent.mkdir()
        precious.write_text("years of work")
        with pytest.raises(LakeNotReplaceableError):
            generate_bank(BankSpec(customers=100), tmp_path / "lake", tmp_path / "sim", KEY)
        assert precious.read_text() == "years of work"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
