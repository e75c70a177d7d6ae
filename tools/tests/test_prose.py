"""Every figure the prose states about a run is the one that run printed."""
import re

import nbformat

from nbtest import ROOT, output_of, prose


def test_01_the_numbers_shrink_about_300_fold():
    text = output_of("01_matrix_inverse.ipynb", "diff_heatmaps(&snapshots, ColorRange::PerPanel)")
    fold = float(re.search(r": (\d+)-fold", text).group(1))
    said = float(re.search(r"about (\d+)-fold", prose("01_matrix_inverse.ipynb", "-fold from step 0")).group(1))
    assert abs(fold - said) / said < 0.1, f"printed {fold}, the prose says about {said}"


def test_01_the_loss_line_bends_from_0_21_to_0_888():
    text = output_of("01_matrix_inverse.ipynb", 'frame_line(&df, "losses")?')
    first, later = re.search(r"step 1 to step 0: ([\d.]+); step 21 to step 20: ([\d.]+)", text).groups()
    said = prose("01_matrix_inverse.ipynb", "it bends")
    assert f"from {first} at the first step to {later}" in said, (first, later)


# A notebook named in prose: "notebook 03", or its file's stem, `03_indicator_matrix`.
NAMED = re.compile(r"\bnotebooks? (\d\d)\b|`(\d\d_[a-z_]+)`")


def named_notebooks(text):
    return [number or stem for number, stem in NAMED.findall(text)]


def test_named_finds_numbers_and_stems():
    assert named_notebooks("Where next: notebook 03 and `04_convergence`, as notebooks 05 does") == ["03", "04_convergence", "05"]


def test_every_notebook_ends_by_pointing_to_the_next_one_by_its_present_name():
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    stems = {p.stem for p in paths}
    for k, path in enumerate(paths):
        last = nbformat.read(path, as_version=4).cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("Where next:"), f"{path.name} ends with {last.source[:80]!r}"
        named = named_notebooks(last.source)
        for name in named:
            assert name in stems or any(s.startswith(name + "_") for s in stems), f"{path.name} names {name}, which is not a notebook"
        if k + 1 < len(paths):
            following = paths[k + 1].stem
            assert named and (named[0] == following or following.startswith(named[0] + "_")), (
                f"{path.name}'s 'Where next' first names {named[:1]}, not the next notebook, {following}")
        else:
            assert all(n[:2] <= path.stem[:2] for n in named), f"the last notebook points past the course: {named}"
