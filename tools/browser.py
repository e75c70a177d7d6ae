#!/usr/bin/env python3
"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) for the checks and screenshots.

    python tools/browser.py screenshots docs target/notebooks   # notebook 01's pictures (docs/teaching.md) from target/notebooks/01_*.html
"""
import contextlib
import json
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox; no background traffic to Google's services.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextlib.contextmanager
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# Every log axis of every drawn figure: its title and the labels plotly drew (`_vals`, its ticks).
LOG_AXES = """() => [...document.querySelectorAll('div.plotly-graph-div.js-plotly-plot')].flatMap(gd =>
    Object.keys(gd._fullLayout).filter(k => /^[xy]axis\\d*$/.test(k) && gd._fullLayout[k].type === 'log').map(k => ({
        figure: ((gd._fullLayout.title || {}).text || ''), axis: k,
        labels: (gd._fullLayout[k]._vals || []).map(v => String(v.text)).filter(t => t !== '')})))"""


def plots_in_exported_page(b, html, screenshot=None):
    """Open an exported page with the network off; returns (divs, drawn, remote requests, log axes)."""
    context = b.new_context(offline=True, viewport={"width": 1200, "height": 900})
    remote = []
    page = context.new_page()
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto(pathlib.Path(html).resolve().as_uri(), wait_until="load")
    divs = page.locator("div.plotly-graph-div").count()
    with contextlib.suppress(Exception):
        page.wait_for_function(
            "() => document.querySelectorAll('div.plotly-graph-div.js-plotly-plot .main-svg').length"
            " >= document.querySelectorAll('div.plotly-graph-div').length", timeout=30000)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('div.plotly-graph-div')].filter(d => d.querySelector('.main-svg')).length")
    log_axes = page.evaluate(LOG_AXES)
    if screenshot:
        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return divs, drawn, remote, log_axes


def animation_in_exported_page(b, html):
    """Find the animated figure of an exported page, check its slider, press play.

    Returns a dict: frames, slider steps, play/pause buttons, and what changed after play.
    """
    context = b.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(pathlib.Path(html).resolve().as_uri(), wait_until="load")
    page.wait_for_function("() => [...document.querySelectorAll('div.js-plotly-plot')]"
                           ".some(d => d._transitionData && d._transitionData._frames.length)", timeout=30000)
    find = "[...document.querySelectorAll('div.js-plotly-plot')].find(d => d._transitionData._frames.length)"
    before = page.evaluate(f"""() => {{
        const gd = {find};
        gd.scrollIntoView();
        return {{frames: gd._transitionData._frames.length,
                 sliderSteps: gd.querySelectorAll('.slider-container .slider-step-tick, .slider-container .slider-label').length,
                 sliderRail: gd.querySelectorAll('.slider-container .slider-rail-rect').length,
                 buttons: [...gd.querySelectorAll('.updatemenu-button text')].map(t => t.textContent),
                 z: JSON.stringify(gd.data[0].z), active: gd.layout.sliders[0].active}};
    }}""")
    page.locator("div.js-plotly-plot .updatemenu-button").filter(has_text="Play").first.click()
    with contextlib.suppress(Exception):
        page.wait_for_function(f"() => {find}.layout.sliders[0].active >= 10", timeout=10000)
    after = page.evaluate(f"() => {{ const gd = {find}; return {{z: JSON.stringify(gd.data[0].z), "
                          "active: gd.layout.sliders[0].active}; }")
    context.close()
    return {"frames": before["frames"], "slider_rail": before["sliderRail"], "buttons": before["buttons"],
            "z_changed": after["z"] != before["z"], "active_before": before["active"], "active_after": after["active"]}


# The panels of the per-panel heatmap figure as plotly drew them: each panel's title, the colour
# range plotly used, the largest |value|, and how many colours its drawn cells have.
PANEL_RANGES = """async (selector) => {
    const gd = [...document.querySelectorAll(selector)]
        .find(d => d.layout && JSON.stringify(d.layout.title || '').includes('own colour range'));
    if (!gd) return [];
    const images = [...gd.querySelectorAll('g.hm image')];
    const out = [];
    for (let i = 0; i < gd.data.length; i++) {
        const axis = gd._fullLayout[i === 0 ? 'xaxis' : 'xaxis' + (i + 1)];
        const reach = Math.max(...gd.data[i].z.flat().map(Math.abs));
        let colours = 0;
        if (images[i]) {
            const im = new Image();
            im.src = images[i].getAttribute('href') || images[i].getAttribute('xlink:href');
            await im.decode();
            const canvas = document.createElement('canvas');
            canvas.width = im.width; canvas.height = im.height;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(im, 0, 0);
            const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            const seen = new Set();
            for (let k = 0; k < px.length; k += 4) if (px[k + 3] > 0) seen.add((px[k] << 16) | (px[k + 1] << 8) | px[k + 2]);
            colours = seen.size;
        }
        out.push({title: axis.title.text, zmax: gd._fullData[i].zmax, reach: reach, colours: colours});
    }
    return out;
}"""


def in_exported_page(b, html, ready, at_least, action):
    """Open an exported page with the network off, wait until `ready` matches `at_least` elements,
    and return `action(page, figure_selector)`."""
    context = b.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(pathlib.Path(html).resolve().as_uri(), wait_until="load")
    page.wait_for_function(f"() => document.querySelectorAll('div.js-plotly-plot {ready}').length >= {at_least}",
                           timeout=30000)
    got = action(page, "div.js-plotly-plot")
    context.close()
    return got


def in_jupyterlab(b, url, notebook, ready, at_least, action):
    """The same in JupyterLab's plotly renderer, scrolling until the figures are drawn."""
    context = b.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page = open_in_lab(context, url, notebook)
    scroll_until(page, f".jp-RenderedPlotly.js-plotly-plot {ready}", at_least)
    got = action(page, ".jp-RenderedPlotly.js-plotly-plot")
    context.close()
    return got


def heatmap_ranges(page, selector):
    """The panels of the per-panel heatmaps as drawn (see PANEL_RANGES)."""
    return page.evaluate(PANEL_RANGES, selector)


# The lr slider's figure: its title and the loss curve it shows.
SLIDER_STATE = """(selector) => {
    const gd = [...document.querySelectorAll(selector)]
        .find(d => d.layout && d.layout.sliders && d.layout.sliders.length
                   && JSON.stringify(d.layout.sliders[0].currentvalue || {}).includes('lr = '));
    if (!gd) return null;
    const shown = gd.data.find(t => t.type === 'scatter' && t.visible === true);
    return {active: gd.layout.sliders[0].active, title: (gd.layout.title || {}).text || '',
            loss: shown ? JSON.stringify(shown.y) : null};
}"""


def drag_lr_slider(page, selector):
    """Click the lr slider's rail near its right end, as a reader would; returns (before, after)."""
    before = page.evaluate(SLIDER_STATE, selector)
    if before is None:
        return None, None
    figure = page.locator(selector).filter(has=page.locator(".slider-container")).filter(has_text="lr = ").first
    rail = figure.locator(".slider-rail-touch-rect").first
    moved = f"() => ({SLIDER_STATE})('{selector}').active !== {before['active']}"
    # JupyterLab may still be laying the notebook out when the figure first scrolls into view,
    # so a click can land where the rail was: look again and click again, a few times at most.
    for _ in range(4):
        rail.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = rail.bounding_box()
        if box is None:
            continue
        page.mouse.click(box["x"] + 0.93 * box["width"], box["y"] + box["height"] / 2)
        with contextlib.suppress(Exception):
            page.wait_for_function(moved, timeout=5000)
            break
    # The slider's `active` changes before plotly's restyle has swapped the curve and title in:
    # on a loaded machine, reading at once saw the old ones (a CI run). Wait for the redraw; if
    # it never comes, the caller's assertion says so.
    redrawn = (f"() => {{ const s = ({SLIDER_STATE})('{selector}'); "
               f"return s !== null && s.loss !== {json.dumps(before['loss'])} && s.title !== {json.dumps(before['title'])}; }}")
    with contextlib.suppress(Exception):
        page.wait_for_function(redrawn, timeout=5000)
    return before, page.evaluate(SLIDER_STATE, selector)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root_dir, app="lab"):
    """JupyterLab (or, with app="notebook", Notebook 7) on 127.0.0.1, no token, serving root_dir;
    stopped on exit."""
    port = free_port()
    cmd = [sys.executable, "-m", "jupyter", app, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root_dir}",
           "--allow-root"]
    if app == "lab":
        cmd.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "/api", timeout=2)
                break
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter {app} exited with {proc.returncode}")
            time.sleep(0.5)
        else:
            raise RuntimeError(f"jupyter {app} did not answer within 60 s")
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            proc.kill()


def open_in_lab(context, url, notebook, app="lab"):
    """A page of `context` showing `notebook` in JupyterLab (or Notebook 7), once its cells exist."""
    page = context.new_page()
    # ?reset: a fresh workspace, not the tabs an earlier check left open.
    page.goto(f"{url}/lab/tree/{notebook}?reset" if app == "lab" else f"{url}/notebooks/{notebook}",
              wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=90000)
    return page


def scroll_until(page, selector, at_least, seconds=90):
    """JupyterLab renders cells as they scroll into view: walk down the notebook until
    `selector` matches `at_least` elements (or time runs out); returns how many it matches."""
    count = lambda: page.locator(selector).count()
    deadline = time.monotonic() + seconds
    while count() < at_least and time.monotonic() < deadline:
        page.evaluate("() => { document.querySelectorAll('.jp-WindowedPanel-outer').forEach(e => e.scrollBy(0, 600));"
                      " window.scrollBy(0, 600); }")
        page.wait_for_timeout(400)
    return count()


def plots_in_jupyterlab(b, url, notebook, expected, screenshot=None, app="lab"):
    """Open an executed notebook in JupyterLab (or Notebook 7, app="notebook"); returns
    (plotly outputs drawn, outside requests)."""
    context = b.new_context(viewport={"width": 1400, "height": 1000})
    outside = []

    def only_local(route):
        if route.request.url.startswith(url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = open_in_lab(context, url, notebook, app)
    drawn = scroll_until(page, ".jp-RenderedPlotly.js-plotly-plot .main-svg", expected)  # jupyterlab-plotly's renderer
    if screenshot:
        with contextlib.suppress(Exception):
            page.locator(".jp-RenderedPlotly.js-plotly-plot").first.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
        pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
    context.close()
    return drawn, outside


def animation_in_jupyterlab(b, url, notebook):
    """Open an executed notebook in JupyterLab, find the animated plotly output, press play.

    Returns a dict: frames, whether the slider is drawn, and the slider's step before and after.
    """
    context = b.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page = open_in_lab(context, url, notebook)
    found = scroll_until(page, ".jp-RenderedPlotly.js-plotly-plot .slider-container", 1) > 0
    state = ("() => { const gd = [...document.querySelectorAll('.jp-RenderedPlotly.js-plotly-plot')]"
             ".find(d => d.querySelector('.slider-container') && d._transitionData"
             " && (d._transitionData._frames || []).length);"
             " return gd ? {frames: (gd._transitionData._frames || []).length, active: gd.layout.sliders[0].active}"
             " : {frames: 0, active: null}; }")
    before = page.evaluate(state)
    if found:
        play = page.locator(".jp-RenderedPlotly.js-plotly-plot .updatemenu-button").filter(has_text="Play").first
        play.scroll_into_view_if_needed()
        play.click()
        moved = ("() => [...document.querySelectorAll('.jp-RenderedPlotly.js-plotly-plot')]"
                 ".some(d => d.layout.sliders && d.layout.sliders[0].active >= 10)")
        with contextlib.suppress(Exception):
            page.wait_for_function(moved, timeout=10000)
    after = page.evaluate(state)
    context.close()
    return {"slider": found, "frames": before["frames"], "active_before": before["active"],
            "active_after": after["active"]}


def screenshots(out_dir, executed):
    """The heatmaps and the loss line of notebook 01, cut from its exported page."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with browser() as b:
        page = b.new_page(viewport={"width": 1100, "height": 900}, offline=True)
        page.goto((pathlib.Path(executed) / "01_matrix_inverse.html").resolve().as_uri(), wait_until="load")
        page.wait_for_selector("div.plotly-graph-div.js-plotly-plot .main-svg", timeout=30000)
        page.wait_for_function("() => document.querySelectorAll('div.js-plotly-plot .main-svg').length >= 3")
        figures = page.locator("div.plotly-graph-div.js-plotly-plot")
        # Notebook 01's figures: the per-panel heatmaps, the shared-range ones, the loss line.
        for i, name in [(0, "heatmaps.png"), (1, "heatmaps_shared.png"), (2, "loss_line.png")]:
            figures.nth(i).screenshot(path=str(out / name))
            print(f"wrote {out / name}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "screenshots":
        screenshots(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
