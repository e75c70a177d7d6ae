"""What the notebook checks share: where the executed notebooks are, the original's printed
outputs, the torch fixtures, and ways to read an executed notebook's cells and plots.

`cargo xtask test` (and `cargo xtask pytest`) pass the folders in the environment, so each
folder's name is written once, in xtask.
"""
import html
import html.parser
import json
import os
import pathlib
import re

import nbformat

import student

ROOT = pathlib.Path(__file__).resolve().parents[2]


def folder(variable, command):
    """A folder of executed notebooks that xtask names in `variable`; `command` makes it."""
    name = os.environ.get(variable)
    assert name, f"${variable} is not set: run the checks through `cargo xtask test` or `cargo xtask pytest`"
    return ROOT / name, command


EXECUTED, _RUN = folder("GDLAB_EXECUTED", "cargo xtask run")
SEED7, _SEED7 = folder("GDLAB_SEED7", "cargo xtask test")
STUDENT, _STUDENT = folder("GDLAB_STUDENT", "cargo xtask student")
MAKES = {EXECUTED: _RUN, SEED7: _SEED7, STUDENT: _STUDENT}

COMMITTED_REFERENCE = ROOT / "tools/reference/original-notebook.txt"
SHARED_REFERENCE = ROOT.parent / "shared/reference/original-notebook.txt"
REFERENCE = (SHARED_REFERENCE if SHARED_REFERENCE.exists() else COMMITTED_REFERENCE).read_text()
FIXTURES = json.loads((ROOT / "crates/gdlab/tests/fixtures/torch.json").read_text())
LOOP = "for (t, &lr) in lrs.iter().enumerate()"
PLOTLY = "application/vnd.plotly.v1+json"
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")
REMOTE = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)
EXERCISE = re.compile(r"^### Exercise (\d\.\d)", re.M)
RIGHT = re.compile(r"^✓ Exercise (\d\.\d)$", re.M)
NOT_YET = re.compile(r"^✗ Exercise (\d\.\d): not yet\. Hint: \S.*$", re.M)


def sources():
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def executed(name, folder=EXECUTED):
    path = folder / name
    assert path.exists(), f"{path} is missing: `{MAKES.get(folder, 'cargo xtask test')}` makes it"
    return nbformat.read(path, as_version=4)


def cell_with(nb, snippet):
    found = [c for c in nb.cells if c.cell_type == "code" and snippet in c.source]
    assert found, f"no code cell contains {snippet!r}"
    return found[0]


def prose(name, snippet):
    """The one markdown cell of notebook `name` (its source) that contains `snippet`."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    found = [c.source for c in nb.cells if c.cell_type == "markdown" and snippet in c.source]
    assert len(found) == 1, f"{name}: {snippet!r} in {len(found)} markdown cells"
    return found[0]


def output_of(name, snippet):
    """What the first code cell of executed notebook `name` that contains `snippet` printed."""
    return text_of(cell_with(executed(name), snippet))


def text_of(cell):
    """All the text a cell printed: streams and text/plain results."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out and "text/plain" in out.data:
            parts.append(out.data["text/plain"])
    return "".join(parts)


def tokens(text):
    return NUMBER.findall(text)


def half_unit(token):
    """Half a unit in the last printed digit: the tolerance of a printed number."""
    mantissa, _, exp = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (-decimals) * 10.0 ** (int(exp) if exp else 0)


def assert_same_numbers(got_text, want_tokens, what):
    got = tokens(got_text)
    assert len(got) == len(want_tokens), f"{what}: printed {len(got)} numbers, the original {len(want_tokens)}"
    for i, (g, w) in enumerate(zip(got, want_tokens, strict=True)):
        tol = half_unit(g) + half_unit(w) + 1e-12
        assert abs(float(g) - float(w)) <= tol, f"{what}, number {i}: {g} vs the original's {w}"


def reference_tensor(after):
    """The numbers of the first `tensor(...)` printed after the line containing `after`."""
    start = REFERENCE.index("tensor(", REFERENCE.index(after))
    body = REFERENCE[start:REFERENCE.index(")", start)]
    return tokens(body.replace("tensor(", ""))


def reference_loop():
    """[(step, loss token, [diff tokens])] from the original's update loop."""
    lines = REFERENCE[REFERENCE.index("In [36]:"):].splitlines()
    result = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\d+) : tensor\(([^,]+),", line)
        if m:
            block = []
            for follow in lines[i + 1:]:
                if follow.startswith("[[") or (block and follow.startswith(" [")):
                    block.append(follow)
                    if follow.rstrip().endswith("]]"):
                        break
            result.append((int(m.group(1)), m.group(2), tokens(" ".join(block))))
    return result


def reference_loop_lines():
    """The lines the original's loop printed: `t : tensor(…)` and the difference matrices."""
    body = REFERENCE[REFERENCE.index("In [36]:"):REFERENCE.index("In [0]:", REFERENCE.index("In [36]:"))]
    return [l for l in body.splitlines() if re.match(r"^(\d+ : tensor|\[\[| \[)", l)]


def plotly_json(out):
    data = out.data[PLOTLY]
    return data if isinstance(data, dict) else json.loads(data)


def plot_outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o and PLOTLY in o.data]


def exercises_of(nb):
    return [n for c in nb.cells if c.cell_type == "markdown" for n in EXERCISE.findall(c.source)]


def printed(nb):
    return "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")


def solution_cells(nb):
    return [c for c in nb.cells if student.is_solution(c)]


def solution_region(cell):
    """The lines between a solution cell's BEGIN SOLUTION and END SOLUTION."""
    lines = cell.source.splitlines()
    begin = next(i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines) if "END SOLUTION" in line)
    return lines[begin + 1:end]


def solution_lines(nb):
    """Per solution cell, its solution's code lines that are nowhere else in the notebook."""
    elsewhere = {line.strip() for c in nb.cells if c.cell_type == "code" and not student.is_solution(c)
                 for line in c.source.splitlines()}
    found = []
    for cell in solution_cells(nb):
        own = {line.strip() for line in solution_region(cell)} - elsewhere
        found.append({line for line in own if len(line) >= 8 and not line.startswith("//")})
    return found


def number(pattern, text):
    """What `pattern`'s group matched in `text` (^ and $ match at each line), or the tuple of its
    groups when it has several; fails, naming the pattern and the text, when nothing matches."""
    found = re.search(pattern, text, re.M)
    assert found, f"{pattern!r} not in {text!r}"
    return found.groups() if len(found.groups()) > 1 else found.group(1)


def real(pattern, text):
    """number(pattern, text), read as a float."""
    return float(number(pattern, text))


class _Text(html.parser.HTMLParser):
    """Every text node of a page, joined without separators (code is split into highlighting
    spans); the text of <script> and <style> too, so that a scan for code misses nothing. A
    parser, not a regex, because a script may hold a bare "<" (plotly.js does)."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def visible_text(path):
    """What a file holds as text: an HTML page's text nodes, scripts' included (see _Text);
    every string of a notebook's JSON (sources, outputs, metadata), unescaped."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        parser = _Text()
        parser.feed(raw)
        parser.close()
        return "".join(parser.parts)

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
    return "\n".join(strings(json.loads(raw))).replace("\n\n", "\n")


def figures(cell):
    """The plotly figures a cell showed, decoded."""
    return [plotly_json(o) for o in cell.outputs if "data" in o and PLOTLY in o.data]
