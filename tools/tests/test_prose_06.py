"""Notebook 06: every figure its prose states about a run is the one that run printed."""
import re

import nbformat

import nbtest
from nbtest import ROOT, cell_with, executed, figures, half_unit

NB = "06_stochastic_descent.ipynb"


def prose(snippet):
    return nbtest.prose(NB, snippet)


def output_of(snippet):
    return nbtest.output_of(NB, snippet)


def number(pattern, text):
    found = re.search(pattern, text, re.M)
    assert found, f"{pattern!r} not in {text!r}"
    return found.group(1)


def test_06_the_intro_names_the_indicator_it_draws_not_03s():
    said = prose("# Stochastic descent")
    shape = re.search(r"\((\d+) documents by (\d+) words, where 03's has (\d+) by (\d+)\)", said)
    assert shape, said
    docs, words, docs03, words03 = shape.groups()
    assert f"A: {docs} documents × {words} words" in output_of("let problem = Documents::new(")
    source03 = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks/03_indicator_matrix.ipynb", as_version=4).cells
                         if c.cell_type == "code")
    assert f"let documents: usize = {docs03};" in source03 and f"let words: usize = {words03};" in source03
    assert "notebook 03's indicator matrix" not in said


def test_06_the_gap_to_the_written_out_loop_reads_exactly_0():
    text = output_of("let run16 = problem.minibatch_sgd")
    assert number(r"largest gap to the loop above: (.+)$", text) == "exactly 0"
    assert "0.0e0" not in text and "the gap printed below is exactly 0" in prose("For the curious: how close to torch")


def test_06_the_floor_is_a_mean_and_the_band_shows_its_spread():
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


def test_06_the_last_notebook_says_where_a_course_goes_next():
    said = prose("Where next:")
    assert said.startswith("Where next: this is the course's last notebook.")
    assert not list((ROOT / "notebooks").glob("07_*")), "no notebook comes after 06"
