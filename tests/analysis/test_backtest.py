"""``scoring backtest``: figures on known signal and on noise, the files banks export,
leakage warnings, the time-ordered split, clear errors, and the command's output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from smartbranch.analysis.backtest import (
    BacktestError,
    cumulative_gains,
    gains_area,
    infer_column,
    lift_at,
    parse_labels,
    run_backtest,
    sniff_delimiter,
    time_split,
)
from smartbranch.cli import app
from smartbranch.settings import get_settings

CITIES = ["北京", "上海", "广州", "深圳"]


def campaign(n: int, seed: int, *, signal: float = 1.5) -> dict[str, list[object]]:
    """Past outcomes: the offer was taken more often by payroll customers with more assets
    (``signal`` 0 = pure noise). Columns as a bank exports them."""
    rng = np.random.default_rng(seed)
    assets = rng.lognormal(11, 1, n)
    payroll = rng.random(n) < 0.4
    city = rng.choice(CITIES, n)
    logit = -1.2 + signal * (payroll + (np.log(assets) - 11) + (city == "上海"))
    took = rng.random(n) < 1 / (1 + np.exp(-logit))
    return {
        "客户号": [f"C{i:06d}" for i in range(n)],
        "age": rng.integers(20, 80, n).tolist(),
        "assets": [f"{a:,.2f}" for a in assets],
        "payroll": ["Y" if p else "N" for p in payroll],
        "city": city.tolist(),
        "took": [int(t) for t in took],
    }


def write_csv(
    path: Path,
    columns: dict[str, Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    names = list(columns)
    lines = [delimiter.join(names)]
    for row in zip(*columns.values(), strict=True):
        cells = [str(v) for v in row]
        # quote what contains the delimiter, as spreadsheet exports do
        lines.append(delimiter.join(f'"{c}"' if delimiter in c else c for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture
def signal_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "outcomes.csv", campaign(2000, 1))


class TestFigures:
    def test_a_known_signal_gives_a_high_auc_and_lift(self, signal_csv: Path) -> None:
        result = run_backtest(signal_csv, label="took")
        assert result.split == "stratified_5fold"
        assert result.n == result.n_test == 2000
        assert result.auc > 0.75
        assert result.lift_top10 > 1.8
        assert result.lift_top20 > 1.5
        assert result.gains_area > 0.6
        assert result.accuracy_ratio == pytest.approx(2 * result.auc - 1, abs=1e-9)
        assert result.gains_area == pytest.approx(
            0.5 + (result.auc - 0.5) * (1 - result.base_rate), abs=1e-9
        )
        assert "客户号" in result.ignored_columns
        assert set(result.features) == {"age", "assets", "payroll", "city"}
        assert not [w for w in result.warnings if w.code.startswith("leakage")]

    def test_pure_noise_gives_an_auc_near_a_half(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "noise.csv", campaign(3000, 2, signal=0.0))
        result = run_backtest(path, label="took")
        assert result.auc == pytest.approx(0.5, abs=0.05)
        assert result.lift_top10 == pytest.approx(1.0, abs=0.35)
        assert result.gains_area == pytest.approx(0.5, abs=0.04)

    def test_gains_and_lift_by_hand(self) -> None:
        y = np.array([1, 0, 1, 0])
        scores = np.array([0.9, 0.8, 0.7, 0.1])
        x, found = cumulative_gains(y, scores)
        assert x.tolist() == [0, 0.25, 0.5, 0.75, 1]
        assert found.tolist() == [0, 0.5, 0.5, 1, 1]
        assert gains_area(y, scores) == pytest.approx(0.625)  # 0.5 + (0.75 − 0.5)(1 − 0.5)
        assert lift_at(y, scores, 0.25) == pytest.approx(2.0)
        assert lift_at(y, scores, 0.5) == pytest.approx(1.0)

    def test_tied_scores_count_by_their_share(self) -> None:
        y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        flat = np.zeros(10)
        assert lift_at(y, flat, 0.1) == pytest.approx(1.0)
        assert gains_area(y, flat) == pytest.approx(0.5)
        perfect = np.array([1.0, 1.0] + [0.0] * 8)
        assert gains_area(y, perfect) == pytest.approx(1 - 0.2 / 2)


class TestReading:
    @pytest.mark.parametrize("delimiter", [",", ";", "\t"])
    def test_the_delimiter_is_sniffed(self, tmp_path: Path, delimiter: str) -> None:
        path = write_csv(tmp_path / "d.csv", campaign(600, 3), delimiter=delimiter)
        comma = write_csv(tmp_path / "c.csv", campaign(600, 3))
        result, reference = run_backtest(path, label="took"), run_backtest(comma, label="took")
        assert result.auc == reference.auc
        assert set(result.features) == {"age", "assets", "payroll", "city"}

    def test_sniffing_prefers_the_consistent_delimiter(self) -> None:
        assert sniff_delimiter("a;b;c\n1,5;2;x\n3,5;4;y\n") == ";"
        assert sniff_delimiter("a,b\n1,2\n") == ","
        assert sniff_delimiter("a\tb c\n1\t2 3\n") == "\t"

    @pytest.mark.parametrize(
        ("yes", "no"),
        [("1", "0"), ("true", "false"), ("TRUE", "False"), ("yes", "no"), ("Y", "n"), ("是", "否")],
    )
    def test_label_spellings(self, tmp_path: Path, yes: str, no: str) -> None:
        columns = campaign(300, 4)
        reference = run_backtest(write_csv(tmp_path / "ref.csv", columns), label="took")
        columns["took"] = [yes if t else no for t in columns["took"]]
        result = run_backtest(write_csv(tmp_path / "spelled.csv", columns), label="took")
        assert result.auc == reference.auc
        assert result.base_rate == reference.base_rate

    def test_parse_labels_leaves_missing_ones_out(self) -> None:
        labels = parse_labels(pa.array(["Yes", " no ", "", "N/A", None, "1", "否"]), "took")
        assert labels[[0, 1, 5, 6]].tolist() == [1.0, 0.0, 1.0, 0.0]
        assert np.isnan(labels[[2, 3, 4]]).all()

    def test_columns_become_numbers_booleans_dates_or_text(self) -> None:
        assert infer_column(pa.array(["1,234.50", "-2", "", "NA"])).to_pylist() == [
            1234.5,
            -2.0,
            None,
            None,
        ]
        assert infer_column(pa.array(["12.5%", "3%"])).to_pylist() == [0.125, 0.03]
        assert infer_column(pa.array(["是", "否", None])).to_pylist() == [True, False, None]
        dates = infer_column(pa.array(["2026/01/31", "2026/02/01"]))
        assert pa.types.is_timestamp(dates.type)
        assert infer_column(pa.array(["gold", " gold ", "null"])).to_pylist() == [
            "gold",
            "gold",
            None,
        ]

    def test_gb18030_exports_and_missing_values_are_read(self, tmp_path: Path) -> None:
        columns = campaign(400, 5)
        columns["age"] = ["" if i % 10 == 0 else a for i, a in enumerate(columns["age"])]
        path = write_csv(tmp_path / "gbk.csv", columns, encoding="gb18030")
        result = run_backtest(path, label="took")
        assert result.n == 400
        assert "city" in result.features

    def test_parquet_with_typed_columns(self, tmp_path: Path) -> None:
        columns = campaign(500, 6)
        table = pa.table(
            {
                "age": pa.array(columns["age"], pa.int32()),
                "payroll": pa.array([p == "Y" for p in columns["payroll"]]),
                "city": pa.array(columns["city"]).dictionary_encode(),
                "took": pa.array([bool(t) for t in columns["took"]]),
            }
        )
        pq.write_table(table, tmp_path / "outcomes.parquet")
        result = run_backtest(tmp_path / "outcomes.parquet", label="took")
        assert result.n == 500
        assert result.auc > 0.6

    def test_excluded_columns_are_left_out(self, signal_csv: Path) -> None:
        result = run_backtest(signal_csv, label="took", exclude=("city", "age"))
        assert set(result.features) == {"assets", "payroll"}


class TestLeakage:
    def test_a_leaky_column_is_named_in_a_warning(self, tmp_path: Path) -> None:
        columns = campaign(1000, 7)
        # known only afterwards: the date the product was bought, empty for the others
        columns["bought_on"] = ["2026-02-01" if t else "" for t in columns["took"]]
        result = run_backtest(write_csv(tmp_path / "leak.csv", columns), label="took")
        leaks = {w.code: w for w in result.warnings if w.code.startswith("leakage")}
        assert leaks["leakage_feature"].params["feature"] == "bought_on"
        assert leaks["leakage_model"].params["feature"] == "bought_on"
        assert "bought_on" in leaks["leakage_feature"].localized("en")
        assert "bought_on" in leaks["leakage_feature"].localized("zh_CN")
        assert next(iter(result.single_feature_auc)) == "bought_on"

    def test_a_text_column_that_separates_the_label_is_named(self, tmp_path: Path) -> None:
        columns = campaign(1000, 8)
        columns["status"] = ["已购买" if t else "未购买" for t in columns["took"]]
        result = run_backtest(write_csv(tmp_path / "leak.csv", columns), label="took")
        named = [w.params["feature"] for w in result.warnings if w.code == "leakage_feature"]
        assert named == ["status"]


class TestTimeSplit:
    def test_the_latest_fifth_is_the_test_set(self, tmp_path: Path) -> None:
        columns = campaign(1000, 9)
        rng = np.random.default_rng(9)
        day = rng.permutation(1000)  # the file is not in time order
        columns["contacted"] = [f"2025-{1 + d // 100:02d}-{1 + d % 28:02d}" for d in day]
        result = run_backtest(
            write_csv(tmp_path / "t.csv", columns), label="took", time_column="contacted"
        )
        assert result.split == "time"
        assert (result.n_train, result.n_test) == (800, 200)
        assert set(result.test_rows.tolist()) == set(np.flatnonzero(day >= 800).tolist())
        assert "contacted" not in result.features

    def test_a_behaviour_that_flips_over_time_fails_on_the_latest_rows(
        self, tmp_path: Path
    ) -> None:
        """Trained on the early rows (payroll buys), tested on the late ones (payroll does
        not): only a split that really tests on the latest rows sees the AUC collapse."""
        rng = np.random.default_rng(10)
        n = 1500
        month = rng.integers(1, 13, n)
        payroll = rng.random(n) < 0.5
        late = month >= 10  # the latest fifth, give or take the boundary month
        took = np.where(late, ~payroll, payroll) ^ (rng.random(n) < 0.1)
        columns: dict[str, Sequence[object]] = {
            "month": [f"2025-{m:02d}-15" for m in month],
            "payroll": ["yes" if p else "no" for p in payroll],
            "noise": rng.normal(size=n).round(3).tolist(),
            "took": [int(t) for t in took],
        }
        path = write_csv(tmp_path / "flip.csv", columns)
        timed = run_backtest(path, label="took", time_column="month")
        assert set(timed.test_rows.tolist()) == set(np.flatnonzero(late).tolist())
        assert timed.auc < 0.3
        assert run_backtest(path, label="took").auc > 0.6  # shuffled folds mix the eras

    def test_rows_sharing_the_boundary_time_go_to_the_test_side(self) -> None:
        times = np.array([2, 1, 1, 1, 1, 2, 2, 2, 3, 1], dtype=float)
        train, test = time_split(times)  # the 80 % cut falls inside time 2
        assert sorted(train.tolist()) == [1, 2, 3, 4, 9]
        assert sorted(test.tolist()) == [0, 5, 6, 7, 8]
        # … unless that would leave less than half for training
        train, test = time_split(np.array([1, 2, 3, 3, 3, 3, 3, 3, 3, 3], dtype=float))
        assert (len(train), len(test)) == (8, 2)


class TestErrors:
    def codes(self, path: Path, **kwargs: object) -> str:
        with pytest.raises(BacktestError) as caught:
            run_backtest(path, **kwargs)  # type: ignore[arg-type]
        error = caught.value
        assert error.localized("zh_CN") != error.localized("en")
        return error.code

    def test_a_missing_label_column(self, signal_csv: Path) -> None:
        assert self.codes(signal_csv, label="bought") == "backtest_column_missing"

    def test_a_label_with_other_values(self, tmp_path: Path) -> None:
        columns = campaign(200, 11)
        columns["took"] = ["maybe" if i == 3 else t for i, t in enumerate(columns["took"])]
        path = write_csv(tmp_path / "bad.csv", columns)
        with pytest.raises(BacktestError, match="maybe") as caught:
            run_backtest(path, label="took")
        assert caught.value.code == "backtest_label_values"

    def test_a_file_that_is_not_csv_or_parquet(self, tmp_path: Path) -> None:
        sheet = tmp_path / "outcomes.xlsx"
        sheet.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(200))
        assert self.codes(sheet, label="took") == "backtest_file_format"

    def test_a_missing_file(self, tmp_path: Path) -> None:
        assert self.codes(tmp_path / "none.csv", label="took") == "backtest_file_missing"

    def test_too_few_rows(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "few.csv", campaign(30, 12))
        assert self.codes(path, label="took") == "backtest_too_few_rows"

    def test_a_single_class(self, tmp_path: Path) -> None:
        columns = campaign(200, 13)
        columns["took"] = [0] * 200
        path = write_csv(tmp_path / "one.csv", columns)
        assert self.codes(path, label="took") == "backtest_single_class"

    def test_a_time_column_that_is_not_a_time(self, signal_csv: Path) -> None:
        code = self.codes(signal_csv, label="took", time_column="city")
        assert code == "backtest_time_column"

    def test_an_unknown_excluded_column(self, signal_csv: Path) -> None:
        assert self.codes(signal_csv, label="took", exclude=("nope",)) == "backtest_column_missing"


@pytest.fixture
def english() -> Iterator[None]:
    """``SMARTBRANCH_DEFAULT_LOCALE=en`` for one test (settings are cached per process)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SMARTBRANCH_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    yield
    mp.undo()
    get_settings.cache_clear()


class TestCommand:
    def test_json_prints_one_object_with_the_figures(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "took", "--json"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout)
        assert {"n", "base_rate", "auc", "lift_top10", "lift_top20", "gains_area"} <= set(figures)
        assert {"warnings", "split"} <= set(figures)
        assert figures["n"] == 2000
        assert figures["split"] == "stratified_5fold"

    def test_exclude_takes_a_comma_separated_list(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "took", "--json"]
        result = CliRunner().invoke(app, [*args, "--exclude", "city,age", "--exclude", "客户号"])
        assert json.loads(result.stdout)["features"] == ["assets", "payroll"]

    def test_a_user_error_prints_code_and_message_and_exits_1(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "nope"]
        result = CliRunner().invoke(app, [*args, "--json", "--locale", "en"])
        assert result.exit_code == 1
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "backtest_column_missing"
        assert "nope" in error["message"]
        plain = CliRunner().invoke(app, args)
        assert plain.exit_code == 1
        assert "backtest_column_missing" in plain.stderr
        assert "文件中没有列 nope" in plain.stderr
        assert "Traceback" not in plain.output

    def test_the_table_is_in_chinese_by_default(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "took"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "成功率（基准率）" in result.stdout
        assert "前 10% 提升度" in result.stdout
        assert "AUC" in result.stdout

    def test_english_from_the_option(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "took"]
        result = CliRunner().invoke(app, [*args, "--locale", "en"], env={"COLUMNS": "200"})
        assert "Success rate (base rate)" in result.stdout

    @pytest.mark.usefixtures("english")
    def test_english_from_the_default_locale_setting(self, signal_csv: Path) -> None:
        args = ["scoring", "backtest", "--data", str(signal_csv), "--label", "took"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        assert "Lift, top 10%" in result.stdout
