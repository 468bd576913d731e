"""What a new user meets in the first hour: start-up, version, options, warnings,
text columns in the simple baselines, and ``set_output``."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from typer.testing import CliRunner

from revimpute import __version__, get_imputer
from revimpute.cli import app
from revimpute.exceptions import InputDataError

runner = CliRunner()


def test_help_and_version_start_without_torch_or_scikit_learn():
    code = (
        "import sys, runpy; sys.argv = ['revimpute', '--help']\n"
        "try:\n    runpy.run_module('revimpute', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'sklearn' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False False"
    version = subprocess.run([sys.executable, "-m", "revimpute", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"revimpute {__version__}"


def test_scan_starts_without_torch_scikit_learn_or_scipy_stats(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n?,3\n4,\n5,6\n")
    code = (
        f"import sys, runpy; sys.argv = ['revimpute', 'scan', {str(table)!r}]\n"
        "try:\n    runpy.run_module('revimpute', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'sklearn' in sys.modules, 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'?'" in out or "?" in out  # the scan ran and reported the disguised value
    assert out.strip().splitlines()[-1] == "False False False"


def test_device_option_is_checked(tmp_path):
    pd.DataFrame({"a": [1.0, None, 3.0], "b": [1.0, 2.0, None]}).to_csv(tmp_path / "in.csv", index=False)
    result = runner.invoke(app, ["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "--device", "tpu"])
    assert result.exit_code == 2 and "--device" in result.output
    result = runner.invoke(app, ["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "--device", "cpu",
                                 "--method", "mean", "-q"])
    assert result.exit_code == 0, result.output


def test_warnings_are_one_line_and_silent_under_quiet(tmp_path):
    frame = pd.DataFrame({"id": [f"row{i}" for i in range(300)], "x": np.arange(300.0)})
    frame.loc[::7, "x"] = np.nan
    frame.loc[5, "id"] = None  # a gap in an identifier column: left open, with a warning
    frame.to_csv(tmp_path / "in.csv", index=False)
    args = ["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "--method", "mean_mode"]
    loud = runner.invoke(app, args)
    assert loud.exit_code == 0, loud.output
    lines = [line for line in loud.output.splitlines() if "warning:" in line]
    assert len(lines) == 1 and "identifier" in lines[0] and "UserWarning" not in loud.output
    quiet = runner.invoke(app, [*args, "-q"])
    assert quiet.exit_code == 0 and quiet.output.strip() == ""


def test_most_frequent_and_constant_take_text_and_categories_like_scikit_learn():
    frame = pd.DataFrame({
        "text": ["a", "b", None, "b", "a", "a", None],
        "cat": pd.Categorical(["u", None, "v", "v", "u", "u", "v"]),
        "x": [1.0, 2.0, 2.0, np.nan, 1.0, 3.0, 5.0],
    })
    out = get_imputer("most_frequent").fit_transform(frame)
    expected = SimpleImputer(strategy="most_frequent").fit_transform(frame.astype(object).where(frame.notna(), np.nan))
    assert out.astype(object).to_numpy().tolist() == expected.tolist()
    assert out.dtypes.equals(frame.dtypes)
    with pytest.raises(InputDataError, match="'cat' is categorical without the category 'missing_value'"):
        get_imputer("constant").fit_transform(frame)  # a category dtype cannot hold it: dtypes never change
    frame["cat"] = frame["cat"].cat.add_categories(["missing_value"])
    constant = get_imputer("constant").fit_transform(frame)
    assert constant.loc[2, "text"] == "missing_value" and constant.loc[1, "cat"] == "missing_value"
    assert constant.loc[3, "x"] == 0.0 and constant.dtypes.equals(frame.dtypes)
    assert get_imputer("constant", fill_value="?").fit_transform(frame[["text"]]).loc[6, "text"] == "?"


@pytest.mark.parametrize("name", ["mean", "mean_mode", "most_frequent", "constant", "missforest_mixed", "reverse"])
def test_set_output_is_respected_for_dataframes(name):
    frame = pd.DataFrame({"a": [1.0, np.nan, 3, 4, 5, 6, 7, 8], "b": [2.0, 3, np.nan, 5, 6, 7, 8, 9]})
    params = dict(max_epochs=2, reverse_steps=2, n_models=1) if name == "reverse" else {}
    imputer = get_imputer(name, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert isinstance(imputer.fit_transform(frame), pd.DataFrame)  # our default: the kind given
        imputer.set_output(transform="default")  # as scikit-learn: an array
        assert isinstance(imputer.fit_transform(frame), np.ndarray)
        assert isinstance(imputer.transform(frame), np.ndarray)
        imputer.set_output(transform="pandas")
        assert isinstance(imputer.transform(frame), pd.DataFrame)


@pytest.mark.slow
def test_dask_run_shuts_down_quietly(tmp_path):
    pytest.importorskip("distributed")
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=list("abc"))
    frame[frame > 1.0] = np.nan
    frame.to_csv(tmp_path / "in.csv", index=False)
    run = subprocess.run(
        [sys.executable, "-m", "revimpute", "impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"),
         "--dask", "local:1", "--method", "mean", "-q"],
        capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == "" and run.stdout.strip() == ""


@pytest.mark.slow
def test_bench_says_how_many_runs_are_done_and_how_long_is_left(tmp_path):
    result = runner.invoke(app, ["bench", "--quick", "--methods", "mean,median", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert [line.split(" runs")[0] for line in lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert all("elapsed, about" in line and "left]" in line for line in lines)
