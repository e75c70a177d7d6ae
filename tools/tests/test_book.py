"""The course's static site (`cargo xtask book`, built by `cargo xtask test` from the student
edition): served on 127.0.0.1 as any static host would, opened in headless Chromium with every
request to another origin refused and counted."""
import contextlib
import functools
import http.server
import re
import threading

import nbformat
import pytest

import book
import browser
from nbtest import EXECUTED, PLOTLY, ROOT, STUDENT, solution_lines, sources, visible_text

BOOK = ROOT / "target/book"
CHAPTERS = [p.stem for p in sources()]
GUIDES = [p.stem for p in book.guides()]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    assert (BOOK / "index.html").exists(), f"{BOOK} is missing: `cargo xtask book` (or `cargo xtask test`) builds it"
    port = browser.free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(BOOK)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


@contextlib.contextmanager
def page_of(chromium, site, outside):
    """A page whose requests to any origin but the site's are refused and appended to `outside`."""
    context = chromium.new_context(viewport={"width": 1300, "height": 900})

    def route(r):
        if r.request.url.startswith(site) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    context.route("**/*", route)
    try:
        yield context.new_page()
    finally:
        context.close()


def drawn(page):
    """How many plotly figures the page has, and how many plotly has drawn."""
    with contextlib.suppress(Exception):
        page.wait_for_function("() => [...document.querySelectorAll('div.plotly-graph-div')]"
                               ".every(d => d.querySelector('.main-svg'))", timeout=30000)
    return page.evaluate("() => { const d = [...document.querySelectorAll('div.plotly-graph-div')];"
                         " return [d.length, d.filter(x => x.querySelector('.main-svg')).length]; }")


def test_plotly_js_is_one_file_that_every_chapter_loads():
    scripts = sorted((BOOK / "_static").glob("plotly-*.min.js"))
    assert len(scripts) == 1, scripts
    assert scripts[0].read_text(encoding="utf-8").startswith("/**\n* plotly.js v"), "the library itself"
    for name in CHAPTERS:
        page = (BOOK / f"{name}.html").read_text(encoding="utf-8")
        assert f'src="_static/{scripts[0].name}"' in page, name
        assert "* plotly.js v" not in page, f"{name} still carries plotly.js inline"
        # A downloaded notebook keeps its own copy, so that it draws away from the site.
        downloaded = (BOOK / "_sources" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "* plotly.js v" in downloaded, f"{name}'s download lost plotly.js"


def test_every_page_loads_with_no_outside_request_and_every_chapter_draws_its_figures(chromium, site):
    pages = ["index.html", "search.html"] + [f"{n}.html" for n in CHAPTERS + GUIDES]
    outside = []
    with page_of(chromium, site, outside) as page:
        for name in pages:
            response = page.goto(site + name, wait_until="load")
            assert response.ok, (name, response.status)
            if name[:-5] in CHAPTERS:
                nb = nbformat.read(STUDENT / f"{name[:-5]}.ipynb", as_version=4)
                figures = sum(PLOTLY in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
                divs, shown = drawn(page)
                assert figures > 0 and divs == shown == figures, (name, figures, divs, shown)
    assert outside == [], outside[:5]


def test_previous_and_next_lead_through_every_chapter_in_reading_order(chromium, site):
    seen = []
    with page_of(chromium, site, []) as page:
        page.goto(site + "intro.html", wait_until="load")
        for _ in range(len(CHAPTERS) + len(GUIDES) + 2):
            following = page.locator("a.right-next")
            if not following.count():
                break
            following.first.click()
            page.wait_for_load_state("load")
            seen.append(page.url.rsplit("/", 1)[-1].removesuffix(".html"))
        assert seen[:len(CHAPTERS)] == CHAPTERS, seen
        assert seen[len(CHAPTERS):] == GUIDES, seen
        page.locator("a.left-prev").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"{GUIDES[-2]}.html"), page.url


def test_a_slider_moves_and_redraws_and_the_animation_plays(chromium, site):
    with page_of(chromium, site, []) as page:
        page.goto(site + "06_optimizers.html", wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('div.js-plotly-plot .slider-container').length >= 2",
                               timeout=30000)
        before, after = browser.drag_lr_slider(page, "div.js-plotly-plot")
        assert before is not None and after["active"] > before["active"], (before, after)
        assert after["loss"] != before["loss"] and after["title"] != before["title"], "the curve and title follow"
    with page_of(chromium, site, []) as page:
        page.goto(site + "04_convergence.html", wait_until="load")
        find = "[...document.querySelectorAll('div.js-plotly-plot')].find(d => d._transitionData && d._transitionData._frames.length)"
        page.wait_for_function(f"() => !!({find})", timeout=30000)
        z = page.evaluate(f"() => JSON.stringify(({find}).data[0].z)")
        page.locator("div.js-plotly-plot .updatemenu-button").filter(has_text="Play").first.click()
        page.wait_for_function(f"() => ({find}).layout.sliders[0].active >= 10", timeout=20000)
        assert page.evaluate(f"() => JSON.stringify(({find}).data[0].z)") != z, "the frames change the heatmap"


def test_search_finds_a_word_that_only_one_chapter_has(chromium, site):
    # The words of each page's source, as the site holds them (the chapters' markdown and the guides).
    texts = {n: " ".join(c.source for c in nbformat.read(STUDENT / f"{n}.ipynb", as_version=4).cells
                         if c.cell_type == "markdown").lower() for n in CHAPTERS}
    texts |= {g: (ROOT / "docs" / f"{g}.md").read_text().lower() for g in GUIDES}
    texts["intro"] = (ROOT / "README.md").read_text().lower()
    # A word of 08's alone, whose first six letters no other page has (the search stems words).
    others = " ".join(t for n, t in texts.items() if n != "08_digits_classifier")
    word = min(w for w in re.findall(r"[a-z]{8,}", texts["08_digits_classifier"]) if w[:6] not in others)
    with page_of(chromium, site, []) as page:
        page.goto(site + f"search.html?q={word}", wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('#search-results li, ul.search li').length > 0",
                               timeout=30000)
        found = page.evaluate("() => [...document.querySelectorAll('#search-results li a, ul.search li a')]"
                              ".map(a => a.getAttribute('href'))")
    pages = {h.split("?")[0].split("#")[0].removesuffix(".html") for h in found}
    assert pages == {"08_digits_classifier"}, found


def test_no_solution_line_of_any_exercise_is_in_the_site():
    files = [p for p in BOOK.rglob("*") if p.suffix in (".html", ".ipynb", ".txt", ".js", ".md")]
    text = "\n".join(visible_text(p) if p.suffix in (".html", ".ipynb") else p.read_text(errors="replace") for p in files)
    for src in sources():
        lines = solution_lines(nbformat.read(src, as_version=4))
        assert all(lines), f"{src.name}: every solution has lines of its own"
        left = [line for own in lines for line in own if line in text]
        assert not left, f"{src.name}'s solutions are in the site: {left[:3]}"
        # The scan sees code as the site shows it: the set-up cell of each chapter is there.
        assert ':dep gdlab = { path = "../crates/gdlab" }' in visible_text(BOOK / f"{src.stem}.html")
        # ... and in the teacher's executed page, where the solutions are, it finds them.
        teacher = visible_text(EXECUTED / f"{src.stem}.html")
        assert all(any(line in teacher for line in own) for own in lines), src.name
