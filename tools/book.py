"""The course as a static site: `cargo xtask book` builds target/book/ with Jupyter Book 1.

    python tools/book.py --notebooks target/student --out target/book [--seed 7]

The chapters are the executed student edition (every output as it ran, no solution), in the
order of notebooks/; the pages are README.md (the front page) and the guides in docs/. Jupyter
Book 1 is Sphinx with the pydata/book theme, whose fonts, scripts and search ship inside the
site. Each notebook's first figure carries plotly.js (4.6 MB) in its output; the site's pages load
one copy of it from _static instead, which the browser caches, so nothing is fetched from
elsewhere. The notebooks offered for download keep theirs.
tools/book/_config.yml says what is switched off (launch buttons, repository links, MathJax's CDN).
"""
import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools/book/_config.yml"
# [text](target): the Markdown links and images the pages hold.
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
DEP = re.compile(r'path = "(?:\.\./)+crates/gdlab"')
# The script that a kernel session's first figure opens with: plotly.js itself, inline.
PLOTLY_JS = re.compile(r'<script type="text/javascript">(/\*\*\n\* plotly\.js v([\d.]+)\n.*?)</script>', re.S)


# The guides in the order the README lists them, by reader: a teacher's first.
GUIDE_ORDER = ["teaching", "hub", "kubernetes", "cli", "performance", "developing"]


def guides():
    """docs/*.md in the site's order: GUIDE_ORDER, then any other guide by name."""
    found = sorted((ROOT / "docs").glob("*.md"))
    rank = {name: i for i, name in enumerate(GUIDE_ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.stem, len(rank)), p.stem))


def page_link(target, page, pages):
    """Where a link of the page `page` (a path under the repository) points in the site, or None
    if the site has no such page (a file of the repository: crates/…, tools/…)."""
    if re.match(r"^[a-z]+:", target) or target.startswith("#"):
        return target
    path, _, anchor = target.partition("#")
    resolved = (ROOT / page).parent.joinpath(path).resolve()
    try:
        rel = resolved.relative_to(ROOT).as_posix()
    except ValueError:
        return None
    if rel not in pages:
        return None
    return pages[rel] + (f"#{anchor}" if anchor else "")


def rewrite(text, page, pages):
    """The page's links for the site: its pages and images by their site names, a file of the
    repository as plain code (the site does not serve the repository)."""
    def one(m):
        bang, label, target = m.groups()
        site = page_link(target, page, pages)
        if site is None:
            return f"{label} (`{target.split('#')[0]}`)" if not bang else ""
        return f"{bang}[{label}]({site})"
    return LINK.sub(one, text)


def shared_plotly(html, scripts):
    """`html` with an inline plotly.js replaced by a reference to _static/plotly-VERSION.min.js,
    whose text goes into `scripts` (file name → text); the chapters sit beside _static. Loaded
    by a plain <script src>, it has run before the figures' own scripts, as inline it had."""
    def one(m):
        name = f"plotly-{m.group(2)}.min.js"
        if scripts.setdefault(name, m.group(1)) != m.group(1):
            sys.exit(f"error: two chapters carry different texts of {name}")
        return f'<script type="text/javascript" src="_static/{name}"></script>'
    return PLOTLY_JS.sub(one, html)


def build(notebooks_dir, out, seed):
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [s.name for s in sources if not (notebooks_dir / s.name).exists()]
    if missing:
        sys.exit(f"error: {notebooks_dir} has no executed {', '.join(missing)}: run `cargo xtask student` first")
    src = out.parent / (out.name + "-src")
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    guide_pages = guides()
    # Site names: README.md is the front page, docs/x.md is x.md, docs/img/… stays img/….
    pages = {"README.md": "intro.md", **{f"docs/{g.name}": g.name for g in guide_pages}}
    pages.update({f"notebooks/{s.name}": s.name for s in sources})
    images = [p for p in (ROOT / "docs").rglob("*") if p.is_file() and p.suffix in (".png", ".svg", ".jpg")]
    pages.update({p.relative_to(ROOT).as_posix(): p.relative_to(ROOT / "docs").as_posix() for p in images})
    for image in images:
        target = src / image.relative_to(ROOT / "docs")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(image, target)
    front = rewrite((ROOT / "README.md").read_text(), "README.md", pages)
    if seed is not None:
        front = re.sub(r"^(# .*)$", rf"\1\n\nThis edition of the course runs every notebook with `seed = {seed}`.", front,
                       count=1, flags=re.M)
    (src / "intro.md").write_text(front)
    for g in guide_pages:
        (src / g.name).write_text(rewrite(g.read_text(), f"docs/{g.name}", pages))
    for s in sources:
        nb = json.loads((notebooks_dir / s.name).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                # The executed copy's set-up cell reaches the crate from target/…; a reader's
                # notebooks/ sits next to crates/, as in the repository.
                text = "".join(cell["source"])
                cell["source"] = DEP.sub('path = "../crates/gdlab"', text)
        (src / s.name).write_text(json.dumps(nb, ensure_ascii=False))
    toc = ["format: jb-book", "root: intro", "parts:", "- caption: The course", "  chapters:"]
    toc += [f"  - file: {s.stem}" for s in sources]
    toc += ["- caption: Guides", "  chapters:"] + [f"  - file: {g.stem}" for g in guide_pages]
    (src / "_toc.yml").write_text("\n".join(toc) + "\n")
    config = CONFIG.read_text()
    if seed is not None:
        config = config.replace('title: "gdlab', f'title: "gdlab (seed {seed})', 1)
    (src / "_config.yml").write_text(config)
    book = [str(pathlib.Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--builder", "html"]
    subprocess.run(book, check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src / "_build/html", out)
    # The pages only: a downloaded notebook (_sources/) keeps its plotly.js, to draw anywhere.
    scripts = {}
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        shared = shared_plotly(text, scripts)
        if shared != text:
            page.write_text(shared, encoding="utf-8")
    for name, text in scripts.items():
        (out / "_static" / name).write_text(text, encoding="utf-8")
    shutil.rmtree(src / "_build", ignore_errors=True)
    print(f"{len(sources)} chapters and {len(guide_pages)} guides in {out}: open {out / 'index.html'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", type=pathlib.Path, required=True, help="the executed student edition")
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--seed", help="the seed this edition ran with, named on its front page")
    a = ap.parse_args()
    build(a.notebooks.resolve(), a.out.resolve(), a.seed)


if __name__ == "__main__":
    main()
