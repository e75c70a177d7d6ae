"""Notebook 07: every figure its prose states about a run is the one that run printed."""
import functools
import json
import math
import re

import nbformat

import nbtest
from nbtest import FIXTURES, ROOT, cell_with, executed, figures, half_unit, number

NB = "07_stochastic_descent.ipynb"
TORCH = FIXTURES["notebook07"]


prose = functools.partial(nbtest.prose, NB)
output_of = functools.partial(nbtest.output_of, NB)


def test_07_the_intro_names_the_indicator_it_draws_not_03s():
    said = prose("# Stochastic descent")
    shape = re.search(r"\((\d+) documents by (\d+) words, where 03's has (\d+) by (\d+)\)", said)
    assert shape, said
    docs, words, docs03, words03 = shape.groups()
    assert f"A: {docs} documents × {words} words" in output_of("let problem = Documents::new(")
    source03 = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks/03_indicator_matrix.ipynb", as_version=4).cells
                         if c.cell_type == "code")
    assert f"let documents: usize = {docs03};" in source03 and f"let words: usize = {words03};" in source03
    assert "notebook 03's indicator matrix" not in said


def test_07_the_gap_to_the_written_out_loop_reads_exactly_0():
    text = output_of("let run16 = problem.minibatch_sgd")
    assert number(r"largest gap to the loop above: (.+)$", text) == "exactly 0"
    assert "0.0e0" not in text and "the gap printed below is exactly 0" in prose("For the curious: how close to torch")


def test_07_the_floor_is_a_mean_and_the_band_shows_its_spread():
    text = output_of("let mut scheduled = Vec::new();")
    mean = number(r"^the constant rate's floor: (\S+)$", text)
    median, low, high = re.search(r"^the settled run's steps: median (\S+), nine in ten between (\S+) and (\S+)$",
                                  text, re.M).groups()
    final = dict(re.findall(r"^\s*(.+?): last lr \S+, L − L⋆ after \d+ epochs (\S+)$", text, re.M))
    assert len(final) == 4, final
    constant = final.pop("constant")
    said = prose("Left, the learning rates;")
    assert f"in the grey band, from {low} to {high}" in said and f"half of them lie below {median}, under the mean" in said
    assert float(median) < float(mean), "a few large excursions pull the mean up"
    ratio = round(float(mean) / float(constant))
    assert f"after 30 epochs it happens to stand at {constant}, {ratio} times below the floor but inside the band" in said
    assert float(low) - half_unit(low) <= float(constant) <= float(high) + half_unit(high), (constant, low, high)
    assert "more than 50 times below its lower edge" in said
    assert all(50 * float(v) < float(low) - half_unit(low) for v in final.values()), (final, low)
    # The figure: the band and the floor the text names, and the constant curve jumping across the mean.
    (fig,) = figures(cell_with(executed(NB), "schedule_figure("))
    band = [t for t in fig["data"] if t["name"] == "nine steps in ten of the settled run"]
    assert [t.get("fill") for t in band] == [None, "tonexty"]
    assert abs(band[0]["y"][0] - float(low)) <= half_unit(low) and abs(band[1]["y"][0] - float(high)) <= half_unit(high)
    (line,) = [t for t in fig["data"] if t["name"] == "the constant rate's floor"]
    assert abs(line["y"][0] - float(mean)) <= half_unit(mean)
    (curve,) = [t for t in fig["data"] if t["name"] == "constant" and t.get("xaxis") == "x2"]
    late = [y for y in curve["y"][len(curve["y"]) // 2:] if y]
    assert min(late) < line["y"][0] < max(late), "the constant run's curve jumps across its floor"


def test_07_where_next_leads_to_the_digits_classifier():
    said = prose("Where next:")
    assert said.startswith("Where next: notebook 08, `08_digits_classifier`, takes this minibatch loop")
    assert (ROOT / "notebooks/08_digits_classifier.ipynb").exists()


def e(value, digits):
    """`value` as Rust's `{:.digits e}` writes it: 5.0e-5, not Python's 5.0e-05."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def figure_of(snippet):
    (fig,) = figures(cell_with(executed(NB), snippet))
    return fig


def test_07_the_losses_agree_with_torchs_as_closely_as_the_details_say():
    said = prose("For the curious: how close to torch")
    star = TORCH["loss_star"]
    # With noise: L to within 3e-6 of its size, every epoch of every run the notebook compares.
    gaps = []
    for trace in figure_of("epochs_figure(&runs").get("data"):
        (want,) = [r["epoch_losses"] for r in TORCH["runs"] if r["name"] == trace["name"]]
        gaps += [abs(y + star - w) / w for y, w in zip(trace["y"], want, strict=True)]
    schedules = [t for t in figure_of("schedule_figure(")["data"] if t.get("xaxis") == "x2" and "floor" not in t["name"]
                 and "nine steps" not in t["name"]]
    assert len(schedules) == 4, [t["name"] for t in schedules]
    excess_gaps = []
    for trace, run in zip(schedules, TORCH["schedules"], strict=True):
        gaps += [abs(y + star - w) / w for y, w in zip(trace["y"], run["epoch_losses"], strict=True)]
        if run["name"] != "constant":
            excess_gaps += [abs(y - (w - star)) / (w - star) for y, w in zip(trace["y"], run["epoch_losses"], strict=True)]
    assert 1e-6 < max(gaps) <= 3e-6, max(gaps)
    assert "With noise, L agrees with torch's to within 3e-6 of its size." in said
    # L − L⋆ of the decaying schedules: up to a few percent, and their printed third digit may differ.
    assert 0.01 < max(excess_gaps) < 0.05, max(excess_gaps)
    printed = dict(re.findall(r"^\s*(.+?): last lr \S+, L − L⋆ after \d+ epochs (\S+)$",
                              output_of("let mut scheduled = Vec::new();"), re.M))
    theirs = [e(run["epoch_losses"][-1] - star, 2) for run in TORCH["schedules"]]
    assert len(printed) == 4 and any(mine != t for mine, t in zip(printed.values(), theirs, strict=True)), (printed, theirs)
    assert "near 1e-7, as for the schedules below, up to a few percent, and the third digit they print can differ" in said
    # Without noise: as close while the loss is large, then round-off near 1e-14.
    ours = figure_of('touched_figure(&[("noise 0')["data"][0]["y"]
    want = TORCH["noise_free"]["step_losses"]
    assert len(ours) == len(want) == 3000
    assert max(abs(o - w) / w for o, w in zip(ours, want) if w > 1e-3) <= 3e-6
    assert 1e-15 < min(ours) < 1e-13 and 1e-15 < min(want) < 1e-13
    factor = max(max(o / w, w / o) for o, w in zip(ours, want, strict=True))
    assert f"ours and torch's differ by a factor of up to {factor:.1f}" in said, factor
    mine = re.search(r"L⋆ = (\S+), L after", output_of("let exact = Documents::new(")).group(1)
    assert f"its L⋆ is round-off too ({mine} here, {e(TORCH['noise_free']['loss_star'], 1)} in torch)" in said, mine
    assert "1e-4 of their size" not in said


def test_07_batch_1_stops_falling_after_3_epochs_and_jumps_around_a_floor():
    curves = {t["name"]: t["y"] for t in figure_of("epochs_figure(&runs")["data"]}
    single = curves["batch 1"]
    lowest = min(range(len(single)), key=single.__getitem__)
    later = single[lowest + 1:]
    low, high = e(min(later), 1), e(max(later), 1)
    said = prose("Per epoch, that is per pass over the data")
    assert f"batch 1 stops falling after {lowest + 1} epochs: from then on it jumps around a floor, between {low} and {high}" \
        in said, (lowest, low, high)
    assert curves["full batch, its best lr"][-1] < min(later), "the full batch at its best rate goes below it"
    sixteen = curves["batch 16"]
    assert all(a > b for a, b in zip(sixteen, sixteen[1:])), "batch 16 is still on its way down"


def test_07_each_4x_in_the_batch_moves_the_floor_down_4_to_5_times():
    text = output_of("problem.floor_grid(")
    rows = re.findall(r"^lr ([\d.]+)\s+batch\s+(\d+): predicted (\S+), fresh batches (\S+) ", text, re.M)
    at = {(float(lr), int(b)): (float(p), float(f)) for lr, b, p, f in rows}
    n = int(re.search(r"A: (\d+) documents", output_of("let problem = Documents::new(")).group(1))
    batches = sorted({b for _, b in at})
    assert len(at) == 9 and batches == [1, 4, 16]
    for lr in sorted({lr for lr, _ in at}):
        for small, large in zip(batches, batches[1:]):
            predicted = at[(lr, small)][0] / at[(lr, large)][0]
            fresh = at[(lr, small)][1] / at[(lr, large)][1]
            # Printed to 3 digits: each ratio is known to about 1%.
            assert abs(predicted / (4 * (n - small) / (n - large)) - 1) < 0.01, (lr, small, predicted)
            assert 4 * 0.99 < predicted < 5 * 1.01 and 4 * 0.99 < fresh < 5 * 1.01, (lr, small, predicted, fresh)
    said = prose("Dashed lines are the prediction")
    assert "moves the prediction and the fresh batches down by 4 to 5 times: the factor `(n − B)/(n − 1)` adds to the 4" in said


def test_07_the_errors_of_an_epoch_cancel_exactly_when_the_batch_divides_the_documents():
    n = int(re.search(r"A: (\d+) documents", output_of("let problem = Documents::new(")).group(1))
    batches = sorted({int(b) for b in re.findall(r"^lr \S+\s+batch\s+(\d+):", output_of("problem.floor_grid("), re.M)})
    (odd,) = [b for b in batches if n % b]
    said = prose("The fresh batches follow the prediction.")
    assert (f"(exactly when the batch size divides the number of documents: with {odd}, the last batch holds {n % odd} "
            f"documents and weighs each {odd // (n % odd)} times as much as the others)") in said


def test_07_a_figure_of_the_loss_itself_says_so_on_its_axis():
    titles = {snippet: figure_of(snippet)["layout"]["yaxis"]["title"]["text"]
              for snippet in ["epochs_figure(&runs", "touched_figure(&runs", 'touched_figure(&[("noise 0']}
    assert titles == {"epochs_figure(&runs": "L(w) − L⋆", "touched_figure(&runs": "L(w) − L⋆",
                      'touched_figure(&[("noise 0': "L(w)"}, titles
    assert ", &exact_run)], 0.0, docs," in cell_with(executed(NB), 'touched_figure(&[("noise 0').source, "L⋆ given as 0"


def html_figure(cell):
    """The figure as our code wrote it: the JSON inside the text/html copy's Plotly.newPlot call."""
    (page,) = [o.data["text/html"] for o in cell.outputs if "data" in o and "text/html" in o.data]
    start = page.index("{", page.index("Plotly.newPlot("))
    return json.JSONDecoder().raw_decode(page, start)[0]


def test_07_the_scheduled_rates_are_torchs_exactly_and_the_kernel_moves_them_by_an_ulp_at_most():
    cell = cell_with(executed(NB), "schedule_figure(")
    ours = [t for t in html_figure(cell)["data"] if t.get("xaxis") is None and "floor" not in t["name"]
            and "nine steps" not in t["name"]]
    shown = [t for t in figures(cell)[0]["data"] if t.get("xaxis") is None and "floor" not in t["name"]
             and "nine steps" not in t["name"]]
    assert len(ours) == len(shown) == len(TORCH["schedules"]) == 4
    for mine, page, run in zip(ours, shown, TORCH["schedules"], strict=True):
        assert mine["y"] == run["lrs"], (run["name"], mine["y"], run["lrs"])
        assert all(abs(p - w) <= math.ulp(w) for p, w in zip(page["y"], run["lrs"], strict=True)), run["name"]
    said = prose("For the curious: the rates are torch's, exactly")
    assert "at this notebook's settings too" in said and "by one unit in its last binary place" in said
