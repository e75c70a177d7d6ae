"""What the executed notebooks hold: no errors, plots with offline HTML, the runs' numbers against the theory."""
import json
import math
import re

import nbformat
import pytest

from nbtest import EXECUTED, FIXTURES, PLOTLY, REMOTE, ROOT, cell_with, executed, figures, plot_outputs, plotly_json, sources, text_of


PLUMBING = {
    "01_matrix_inverse.ipynb": ["show(", "show_int(", ".to_string()"],
    "02_gradients.ipynb": [".to_string()", "collect::<Result", "Ok((", "unwrap_or"],
    "03_indicator_matrix.ipynb": ["show(", "show_int(", "true, false", "false, true", "true, true", "collect::<Result",
                                  ".to_string()", ".clone()"],
    "04_convergence.ipynb": [".to_string()", "collect::<Result", "Ok((", "for i in 0..", "};", "0.4605170185988091"],
    "05_landscape.ipynb": [".to_string()", "collect::<Result", "unwrap()", "map_or("],
    "06_optimizers.ipynb": [".to_string()", "collect::<Result", "show(", "for i in 0..", "};"],
    "07_stochastic_descent.ipynb": [".to_string()", "collect::<Result", "show(", "\n};", ".clone()", "unwrap()"],
    "08_digits_classifier.ipynb": [".to_string()", "collect::<Result", "show(", "Ok(("],
}


RATE = re.compile(r"column (\d): predicted ([\d.]+), measured ([\d.]+)")


PREDICTED = re.compile(r"^\s*(plain descent|heavy ball):\s+predicted ([\d.]+), measured ([\d.]+)$", re.M)


def race_steps(nb):
    table = text_of(cell_with(nb, "optimizer_race("))
    rows = re.findall(r"^│ (.+?)\s+┆ [\d.]+\s+┆ (\d+|null)\s+│$", table, re.M)
    return {name.strip(): (None if steps == "null" else int(steps)) for name, steps in rows}


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_no_error_outputs(src):
    nb = executed(src.name)
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "every code cell ran"


@pytest.mark.parametrize("name", sorted(PLUMBING))
def test_cells_carry_no_plumbing(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    # A solution's answer block, `let answer: T = { … };`, is the exercises' frame, not plumbing.
    code = "\n".join(c.source.replace("\n};\nanswer", "\nanswer") for c in nb.cells if c.cell_type == "code")
    found = [p for p in PLUMBING[name] if p in code]
    assert not found, f"{name}: {found}"


def test_per_panel_heatmaps_keep_step_80_readable():
    cell = cell_with(executed("01_matrix_inverse.ipynb"), "diff_heatmaps(&snapshots, ColorRange::PerPanel)")
    (fig,) = figures(cell)
    last = fig["data"][4]
    reach = max(abs(v) for row in last["z"] for v in row)
    assert 0 < reach < 0.05 and last["zmax"] == reach and last["zmin"] == -reach
    assert "step 80 · ±" in fig["layout"]["xaxis5"]["title"]["text"]
    shared = cell_with(executed("01_matrix_inverse.ipynb"), "diff_heatmaps(&snapshots, ColorRange::Shared)")
    (fig,) = figures(shared)
    assert len({t["zmax"] for t in fig["data"]}) == 1, "one range for all panels"


@pytest.mark.parametrize("snippet", ["ColorRange::PerPanel)", "ColorRange::Shared)", "frame_line(&df"])
def test_heatmaps_and_loss_line_carry_plotly_json_and_offline_html(snippet):
    cell = cell_with(executed("01_matrix_inverse.ipynb"), snippet)
    shown = [o for o in cell.outputs if "data" in o and PLOTLY in o.data]
    assert len(shown) == 1, f"{snippet}: one plotly output"
    data = shown[0].data
    fig = plotly_json(shown[0])
    assert fig["data"], "the figure has traces"
    assert "text/html" in data and "Plotly.newPlot" in data["text/html"]


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_every_plot_has_html_and_the_page_loads_plotly_once(src):
    nb = executed(src.name)
    plots = plot_outputs(nb)
    assert plots, f"{src.name} shows plots"
    assert all("text/html" in o.data for o in plots)
    html = "".join(o.data["text/html"] for o in plots)
    assert html.count("window.Plotly = Plotly") == 1, "plotly.js inline exactly once per notebook"


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_nothing_is_fetched_from_the_network(src):
    nb = executed(src.name)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for mime, value in out.get("data", {}).items():
                text = value if isinstance(value, str) else json.dumps(value)
                assert not REMOTE.search(text), f"{src.name}: a remote source in a {mime} output"
    page = (EXECUTED / (src.stem + ".html")).read_text()
    assert not REMOTE.search(page), f"{src.stem}.html loads something from the network: {REMOTE.search(page)}"
    size = len(page) / 1e6
    assert size < 12, f"{src.stem}.html is {size:.1f} MB: plotly.js must be embedded once"


def test_convergence_rates_agree_with_the_theory_within_5_percent():
    printed = text_of(cell_with(executed("04_convergence.ipynb"), "rate_comparison("))
    rates = RATE.findall(printed)
    assert [r[0] for r in rates] == ["1", "2", "3", "4"], printed
    for column, predicted, measured in rates:
        p, m = float(predicted), float(measured)
        assert abs(m - p) / p < 0.05, f"column {column}: measured {m} against predicted {p}"
    # The first column is the slowest, as the original's difference matrices show.
    assert float(rates[0][2]) > max(float(r[2]) for r in rates[1:])


def test_divergence_is_reported_as_the_typed_error():
    nb = executed("04_convergence.ipynb")
    printed = text_of(cell_with(nb, "let too_fast"))
    assert re.search(r"gradient descent diverged at step \d+ .*exceeds the stability bound", printed), printed
    assert plot_outputs(nb), "the diverged losses are plotted"


def test_the_animation_has_a_frame_per_step_a_slider_and_play():
    cell = cell_with(executed("04_convergence.ipynb"), "diff_animation(")
    (fig,) = figures(cell)
    assert len(fig["frames"]) == 100
    assert len(fig["layout"]["sliders"][0]["steps"]) == 100
    assert any("Play" in b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"])


def test_optimizer_rates_agree_with_the_theory_within_5_percent():
    nb = executed("06_optimizers.ipynb")
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            found += PREDICTED.findall(text_of(cell))
    assert len(found) == 4, found  # two optimisers, two matrices
    for name, predicted, measured in found:
        p, m = float(predicted), float(measured)
        assert abs(m - p) / p < 0.05, f"{name}: measured {m} against predicted {p}"


def test_momentum_needs_fewer_steps_than_plain_descent():
    steps = race_steps(executed("06_optimizers.ipynb"))
    assert len(steps) == 7, steps
    momentum = steps["momentum, best (lr, β)"]
    assert momentum is not None and momentum < steps["full batch, the lesson's lr"] and momentum < steps["full batch, best lr"]
    assert all(v is not None for v in steps.values()), f"every optimiser reaches 1e-6: {steps}"


@pytest.mark.parametrize("snippet,count", [("lr_slider(", 30), ("beta_slider(", 20)])
def test_the_slider_figures_carry_plotly_slider_steps(snippet, count):
    cell = cell_with(executed("06_optimizers.ipynb"), snippet)
    (fig,) = figures(cell)
    steps = fig["layout"]["sliders"][0]["steps"]
    assert len(steps) == count and all(s["method"] == "update" for s in steps)
    assert len(fig["data"]) == 2 * count, "a loss curve and a heatmap per value"
    assert "frames" not in fig or not fig["frames"], "plain slider steps, no animation frames"


def test_sources_were_not_overwritten():
    for src in sources():
        nb = nbformat.read(src, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_the_sweep_figures_label_sits_on_its_bound_line():
    """On a log axis plotly places an annotation in log10 units and a shape in data units."""
    (fig,) = figures(cell_with(executed("04_convergence.ipynb"), "sweep_figure("))
    (line,), (note,) = fig["layout"]["shapes"], fig["layout"]["annotations"]
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert abs(note["x"] - math.log10(line["x0"])) < 1e-12, (note["x"], line["x0"])


def test_every_written_out_optimizer_loop_follows_torchs_numbers():
    """06's loops, written out, against gdlab's runs, whose final losses are torch.optim's."""
    nb = executed("06_optimizers.ipynb")
    for snippet in ["square_avg = square_avg * alpha", "sum = sum + &(&grad * &grad)"]:
        assert "InverseDescent" not in cell_with(nb, snippet).source
    text = text_of(cell_with(nb, "exact_rmsprop"))
    found = re.findall(r"^\s*(\S+): largest loss gap (\S+), final loss (\S+)$", text, re.M)
    assert [name for name, _, _ in found] == ["SGD", "momentum", "Nesterov", "Adam", "RMSprop", "Adagrad"]
    lr = float(re.search(r"let lr: f64 = ([\d.]+);", cell_with(nb, "let lr: f64").source).group(1))
    for name, gap, final in found:
        assert float(gap) < 1e-5, (name, gap)
        key = {"SGD": "sgd", "momentum": "momentum", "Nesterov": "nesterov", "Adam": "adam", "RMSprop": "rmsprop",
               "Adagrad": "adagrad"}[name]
        runs = [r for r in FIXTURES["optim"] if r["optimizer"] == key and r["dtype"] == "float32" and len(r["m"]) == 4]
        if name == "SGD":
            continue  # torch's plain SGD fixture runs at the lesson's rate, not at 0.1; 01 ties that one
        (want,) = [r for r in runs if r["lr"] == (0.01 if key == "rmsprop" else lr)]
        # printed to four digits
        assert abs(float(final) - want["losses"][-1]) <= 5e-4 * want["losses"][-1], (name, final)


# A zero printed with a sign: -0, -0.00, -0.0000, -0.0000e+00 (and not -0.0001, a number).
SIGNED_ZERO = re.compile(r"(?<![\w.])-0(?:\.0+)?(?:e[-+]?0+)?(?![\w.])")


def test_signed_zero_finds_zeros_only():
    assert SIGNED_ZERO.findall("[[-0.00 0.5] -0.0000, -0.0000e+00 -0 x]") == ["-0.00", "-0.0000", "-0.0000e+00", "-0"]
    assert not SIGNED_ZERO.findall("-0.0001 -0.05 -0.00e-3 -10.00 1e-0.5 step-0")


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_no_zero_prints_with_a_sign_but_where_the_original_does(src):
    """A −0.00 suggests a sign the mathematics does not have; 01 keeps it where the original's
    numpy formatter prints it, character for character."""
    found = [m for c in executed(src.name).cells if c.cell_type == "code" for m in SIGNED_ZERO.findall(text_of(c))]
    if src.name.startswith("01"):
        assert found, "01 prints the original's -0.00 (the scan finds them where they are)"
    else:
        assert not found, f"{src.name} prints {found[:5]}"
