"""Parameters: papermill's Rust translator, and the runs with other seeds."""
import json

import pytest

import nbrun
from nbtest import PLOTLY, RIGHT, ROOT, SEED314, SEED7, cell_with, executed, exercises_of, printed, text_of


def comparable(nb):
    """The text and plot data of every output, without per-run ids."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        out.append(text_of(cell))
        out.extend(json.dumps(o.data[PLOTLY], sort_keys=True) for o in cell.outputs if "data" in o and PLOTLY in o.data)
    return out


def test_param_seed_changes_the_numbers_and_314_reproduces_them():
    default = executed("01_matrix_inverse.ipynb")
    seven = executed("01_matrix_inverse.ipynb", SEED7)
    again = executed("01_matrix_inverse.ipynb", SEED314)
    injected = [c for c in seven.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'let seed = if false { seed } else { "7".parse()' in injected[0].source
    y_hat = lambda nb: text_of(cell_with(nb, "let y_hat"))
    assert y_hat(seven) != y_hat(default)
    assert comparable(again) == comparable(default)


def test_convergence_parameters_are_injected_by_papermills_rust_translator():
    nb = nbrun.parameterize(ROOT / "notebooks/04_convergence.ipynb",
                            {"seed": "7", "seed_count": "5", "tolerance": "1e-8", "lr": "0.9"})
    (cell,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert nb.metadata.papermill["parameters"] == {"seed": 7, "seed_count": 5, "tolerance": 1e-8, "lr": 0.9}
    for line in ['let seed = if false { seed } else { "7".parse()', 'let seed_count = if false { seed_count }',
                 'let tolerance = if false { tolerance } else { "1e-08".parse()', '{ "0.9".parse()']:
        assert line in cell.source
    for bad, message in [({"seed_count": "many"}, "expected a non-negative integer"), ({"seed": "-1"}, "non-negative"),
                         ({"lr": "fast"}, "expected a number"), ({"sed": "1"}, "unknown parameter 'sed'")]:
        with pytest.raises(ValueError, match=message):
            nbrun.parameterize(ROOT / "notebooks/04_convergence.ipynb", bad)


def test_the_exercises_of_04_are_still_right_with_seed_7():
    nb = executed("04_convergence.ipynb", SEED7)
    assert nb.metadata.papermill["parameters"] == {"seed": 7}
    assert "let seed = if false { seed } else { \"7\".parse()" in cell_with(nb, "Parameters injected").source
    assert RIGHT.findall(printed(nb)) == exercises_of(nb)
