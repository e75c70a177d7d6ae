"""The figures in real browsers: the exported pages offline, JupyterLab and Notebook 7 (one server each for the whole run)."""
import re

import pytest

import browser
from nbtest import EXECUTED, ROOT, executed, plot_outputs, sources


def test_step_80_panel_is_not_flat_in_the_exported_page(chromium):
    got = browser.in_exported_page(chromium, EXECUTED / "01_matrix_inverse.html", "g.hm image", 5,
                                   browser.heatmap_ranges)
    assert got, "the per-panel heatmaps were drawn"
    for panel in got:
        assert panel["zmax"] <= 2 * panel["reach"], f"the colour range swamps the values: {panel}"
        assert panel["colours"] > 1, f"a panel drawn in one flat colour: {panel}"
    assert got[-1]["title"].startswith("step 80 · ±"), got[-1]


def test_step_80_panel_is_not_flat_in_jupyterlab(chromium, lab):
    got = browser.in_jupyterlab(chromium, lab, "01_matrix_inverse.ipynb", "g.hm image", 5, browser.heatmap_ranges)
    assert got, "JupyterLab drew the per-panel heatmaps"
    assert all(p["zmax"] <= 2 * p["reach"] and p["colours"] > 1 for p in got), got
    assert got[-1]["title"].startswith("step 80 · ±"), got[-1]


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_exported_html_draws_every_plot_offline(chromium, src):
    shot = ROOT / "target/screenshots" / f"{src.stem}.png"
    divs, drawn, remote, log_axes = browser.plots_in_exported_page(chromium, EXECUTED / f"{src.stem}.html", shot)
    assert divs == len(plot_outputs(executed(src.name))), "one plot container per plot output"
    assert drawn == divs > 0, f"{drawn} of {divs} plots drawn"
    assert not remote, f"requests to the network: {remote[:3]}"
    assert shot.stat().st_size > 10_000
    # Log axes read at a glance: a few labels, all written as powers of ten (10⁻⁶), none with an
    # SI prefix (1p, 10f) or an e (1e-6). Every notebook but 01 and 05 (contours, whose colour bar
    # labels its decades itself) has one.
    assert log_axes or src.name.startswith(("01", "05")), "the figures' log axes were found"
    for axis in log_axes:
        where = f"{axis['figure']!r}, {axis['axis']}"
        assert 2 <= len(axis["labels"]) <= 8, f"{where}: {len(axis['labels'])} labels {axis['labels']}"
        worded = [t for t in axis["labels"] if re.search(r"[^\d.,−\-]", re.sub(r"</?sup>", "", t))]
        assert not worded, f"{where}: labels not written as powers of ten: {worded}"


def test_dragging_the_lr_slider_redraws_the_loss_in_the_exported_page(chromium):
    before, after = browser.in_exported_page(chromium, EXECUTED / "06_optimizers.html", ".slider-container", 2,
                                             browser.drag_lr_slider)
    assert before is not None, "the lr slider was drawn"
    assert after["active"] > before["active"], f"the slider did not move: {before['active']} → {after['active']}"
    assert after["loss"] != before["loss"] and after["title"] != before["title"], "the loss curve and title follow"
    assert "above the bound" in after["title"], after["title"]


def test_dragging_the_lr_slider_redraws_the_loss_in_jupyterlab(chromium, lab):
    before, after = browser.in_jupyterlab(chromium, lab, "06_optimizers.ipynb", ".slider-container", 2,
                                          browser.drag_lr_slider)
    assert before is not None, "JupyterLab drew the lr slider"
    assert after["active"] > before["active"] and after["loss"] != before["loss"], (before, after)


def test_dragging_the_path_slider_redraws_the_path_in_the_exported_page(chromium):
    """05's lr slider over paths: a click near the rail's end shows 1.02's path, which flies out."""
    before, after = browser.in_exported_page(chromium, EXECUTED / "05_landscape.html", ".slider-container", 2,
                                             browser.drag_lr_slider)
    assert before is not None, "the path slider was drawn"
    assert after["active"] > before["active"], f"the slider did not move: {before['active']} → {after['active']}"
    assert after["loss"] != before["loss"] and after["title"] != before["title"], "the path and title follow"
    assert "lr = 1.02 · flies out" in after["title"], after["title"]


def test_dragging_the_path_slider_redraws_the_path_in_jupyterlab(chromium, lab):
    before, after = browser.in_jupyterlab(chromium, lab, "05_landscape.ipynb", ".slider-container", 2,
                                          browser.drag_lr_slider)
    assert before is not None, "JupyterLab drew the path slider"
    assert after["active"] > before["active"] and after["loss"] != before["loss"], (before, after)


def test_the_animation_plays_in_the_exported_page(chromium):
    got = browser.animation_in_exported_page(chromium, EXECUTED / "04_convergence.html")
    assert got["frames"] == 100, got
    assert got["slider_rail"] == 1, f"no slider drawn: {got}"
    assert any("Play" in b for b in got["buttons"]) and any("Pause" in b for b in got["buttons"]), got
    assert got["z_changed"] and got["active_after"] > got["active_before"], f"play did not move the frames: {got}"


def test_the_animation_plays_in_jupyterlab(chromium, lab):
    got = browser.animation_in_jupyterlab(chromium, lab, "04_convergence.ipynb")
    assert got["slider"] and got["frames"] == 100, got
    assert got["active_after"] > got["active_before"], f"play did not move the slider: {got}"


def test_jupyterlab_renders_the_plotly_outputs(chromium, lab):
    name = "01_matrix_inverse.ipynb"
    expected = len(plot_outputs(executed(name)))
    drawn, outside = browser.plots_in_jupyterlab(chromium, lab, name, expected,
                                                 ROOT / "target/screenshots/jupyterlab-01.png")
    assert drawn >= expected, f"JupyterLab drew {drawn} of {expected} plotly outputs"
    assert not outside, f"JupyterLab asked for {outside[:3]}"


@pytest.mark.parametrize("name", [p.name for p in sources()])
def test_notebook_7_renders_the_plotly_outputs(chromium, notebook7, name):
    expected = len(plot_outputs(executed(name)))
    drawn, outside = browser.plots_in_jupyterlab(chromium, notebook7, name, expected,
                                                 ROOT / f"target/screenshots/notebook7-{name[:2]}.png", app="notebook")
    assert drawn >= expected, f"Notebook 7 drew {drawn} of {expected} plotly outputs"
    assert not outside, f"Notebook 7 asked for {outside[:3]}"
