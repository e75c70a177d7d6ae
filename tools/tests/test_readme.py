"""The README a newcomer reads in two minutes (issue #33), and the guides under docs/ it links.

Offline and without any executed notebook: it reads README.md, docs/*.md, .ci/run and xtask's
clap definitions.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAX_LINES = 160
MAX_IMAGE_BYTES = 150_000
COMMANDS = ["cargo xtask run", "cargo xtask test"]


def prose(text):
    """The text without fenced code blocks and inline code, where a `[x](y)` is no link."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def sections(text):
    """(heading, body) for each `## ` section, in order, headings outside code blocks only."""
    parts, heading, body, fenced = [], None, [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            parts.append((heading, "\n".join(body)))
            heading, body = line[3:].strip(), []
        else:
            body.append(line)
    parts.append((heading, "\n".join(body)))
    return parts


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page):
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def links(page):
    """(target, is_image) for every relative link and image of a page."""
    for bang, target in re.findall(r"(!?)\[[^\]]*\]\(([^)\s]+)\)", prose(page.read_text())):
        if not re.match(r"[a-z]+:", target):
            yield target, bool(bang)


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_LINES, f"README.md has {lines} lines, more than {MAX_LINES}: move a section to docs/"


def test_the_two_commands_come_before_any_other_section():
    first_heading, first = sections(README.read_text())[1]
    block = re.search(r"^```sh\n(.*?)^```", first, flags=re.S | re.M)
    assert block, f"the README's first section ({first_heading!r}) has no sh block with the two commands"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]
    assert commands == COMMANDS, f"the README's first commands are {commands}, not {COMMANDS}"


def test_ci_runs_cargo_xtask_test():
    lines = [line.split("#")[0] for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert any(re.search(r"\bcargo xtask test\s*$", line) for line in lines), ".ci/run does not call `cargo xtask test`"


def test_xtask_has_both_subcommands():
    main = (ROOT / "crates" / "xtask" / "src" / "main.rs").read_text()
    body = re.search(r"^enum Cmd \{\n(.*?)^\}", main, flags=re.S | re.M)
    assert body, "crates/xtask/src/main.rs has no `enum Cmd`"
    variants = re.findall(r"^    ([A-Z]\w*)\b", body.group(1), flags=re.M)
    # clap's derive names a subcommand by its variant in kebab case.
    names = {re.sub(r"(?<!^)(?=[A-Z])", "-", v).lower() for v in variants}
    for command in COMMANDS:
        assert command.split()[-1] in names, f"xtask has no `{command.split()[-1]}` subcommand: {sorted(names)}"


def test_every_relative_link_and_image_exists():
    broken = []
    for page in PAGES:
        for target, is_image in links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)} → {target}"
            if not file.exists():
                broken.append(f"{where}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{where}: no such heading")
            elif is_image and file.stat().st_size > MAX_IMAGE_BYTES:
                broken.append(f"{where}: {file.stat().st_size} bytes, more than {MAX_IMAGE_BYTES}")
    assert not broken, "\n".join(broken)


def test_the_readme_lists_every_notebook_in_order_one_line_each():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    listed = dict(sections(README.read_text())).get("The notebooks")
    assert listed is not None, "the README has no section 'The notebooks'"
    items = re.findall(r"^(?:\d+\.|[-*]) +(.*)$", listed, flags=re.M)
    names = [m.group(1) for m in (re.match(r"\[?`(\d\d_\w+)`", item) for item in items) if m]
    assert names == notebooks, f"the README lists {names}, notebooks/ holds {notebooks}"
    # One line each: no item continues on an indented line.
    assert not re.search(r"^(?:\d+\.|[-*]) .*\n +\S", listed, flags=re.M), "a notebook's line wraps"
