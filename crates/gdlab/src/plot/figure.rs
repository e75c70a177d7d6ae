//! The figure itself, and its two outlets: evcxr's display and offline HTML.

use std::path::Path;

use plotly::Plot;

use crate::error::{Result, write_file};

/// Set in the kernel's environment once plotly.js went out. Not a static: evcxr links a copy
/// of this crate into each cell, but all cells share the process.
const PLOTLY_JS_SENT: &str = "GDLAB_PLOTLY_JS_SENT";

/// A plotly figure that displays itself in evcxr and writes offline HTML.
#[derive(Clone)]
pub struct Figure {
    plot: Plot,
    height: usize,
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Figure({} traces, {} px)", self.plot.data().len(), self.height)
    }
}

impl Figure {
    /// Wraps a plotly-rs [`Plot`], drawn `height` pixels high in HTML.
    pub fn new(plot: Plot, height: usize) -> Self {
        Figure { plot, height }
    }

    /// The plotly-rs plot, to adjust before display.
    pub fn plot_mut(&mut self) -> &mut Plot {
        &mut self.plot
    }

    /// The plotly-rs plot.
    pub fn plot(&self) -> &Plot {
        &self.plot
    }

    /// The figure as plotly JSON (`data`, `layout`, `config`, `frames`): the
    /// `application/vnd.plotly.v1+json` payload.
    pub fn to_json(&self) -> String {
        self.plot.to_json()
    }

    /// An HTML fragment (a `div` and the script that draws it) for a page that already has
    /// plotly.js, or that gets it from `plotly_js`, which [`plotly_js`] returns.
    pub fn to_html_fragment(&self) -> String {
        // plotly-rs writes the div (with a fresh id) and the `Plotly.newPlot` call. Two things it
        // does not do: the div is 100% high, which is zero in a notebook's output area, so it gets
        // our height; and it draws at once, which fails where the page's plotly.js script has not
        // run yet, so the call waits for the page's load event when Plotly is still missing.
        let inline = self.plot.to_inline_html(None);
        let (open, call) = inline.split_once("<script type=\"text/javascript\">").expect("plotly-rs writes a script");
        let call = call.trim_end().strip_suffix("</script>").expect("plotly-rs closes its script").trim();
        let open = open.replacen("height:100%;", &format!("height:{}px;", self.height), 1);
        format!(
            "{open}<script type=\"text/javascript\">\n\
             (function () {{\n\
               function draw() {{ {call} }}\n\
               if (window.Plotly) {{ draw(); }} else {{ window.addEventListener(\"load\", draw); }}\n\
             }})();\n\
             </script>"
        )
    }

    /// A complete page that opens offline (plotly.js inline).
    pub fn to_standalone_html(&self) -> String {
        Report::new("gdlab figure").figure(self.clone()).to_html()
    }

    /// Writes [`to_standalone_html`](Self::to_standalone_html) to `path`.
    ///
    /// # Errors
    /// [`GdlabError::Io`](crate::GdlabError::Io) if the file cannot be written.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_standalone_html())
    }

    /// Shows the figure in evcxr: one output with the plotly MIME type and offline HTML.
    pub fn evcxr_display(&self) {
        let js = if std::env::var_os(PLOTLY_JS_SENT).is_some() {
            String::new()
        } else {
            // SAFETY: evcxr runs a cell's code on one thread, and nothing else here reads the
            // environment concurrently.
            unsafe { std::env::set_var(PLOTLY_JS_SENT, "1") };
            plotly_js()
        };
        println!("EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{}\nEVCXR_END_CONTENT", self.to_json());
        println!("EVCXR_BEGIN_CONTENT text/html\n{js}{}\nEVCXR_END_CONTENT", self.to_html_fragment());
    }
}

/// Makes the next figure shown in evcxr carry plotly.js again, e.g. after the output that
/// carried it was cleared.
pub fn resend_plotly_js() {
    // SAFETY: as in `Figure::evcxr_display`.
    unsafe { std::env::remove_var(PLOTLY_JS_SENT) };
}

/// plotly.js (bundled by the plotly crate's `plotly_embed_js` feature) in a `<script>` element.
pub fn plotly_js() -> String {
    let both = Plot::offline_js_sources();
    // The bundle is plotly.js followed by MathJax, which these plots do not use.
    let marker = "<script type=\"text/javascript\">";
    let cut = both.rfind(marker).filter(|&i| i > 0).unwrap_or(both.len());
    both[..cut].trim_end().to_string()
}

/// A self-contained HTML page of headings, paragraphs and figures, with plotly.js once.
#[derive(Clone, Debug, Default)]
pub struct Report {
    title: String,
    body: Vec<String>,
}

impl Report {
    /// An empty report with this title.
    pub fn new(title: &str) -> Self {
        Report { title: title.to_string(), body: Vec::new() }
    }

    /// Adds a heading.
    pub fn heading(mut self, text: &str) -> Self {
        self.body.push(format!("<h2>{}</h2>", escape(text)));
        self
    }

    /// Adds a paragraph (or a block of preformatted text, if it spans several lines).
    pub fn text(mut self, text: &str) -> Self {
        let tag = if text.contains('\n') { "pre" } else { "p" };
        self.body.push(format!("<{tag}>{}</{tag}>", escape(text)));
        self
    }

    /// Adds a figure.
    pub fn figure(mut self, figure: Figure) -> Self {
        self.body.push(figure.to_html_fragment());
        self
    }

    /// The page.
    pub fn to_html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n{js}\n</head>\n\
             <body style=\"font-family: sans-serif; max-width: 1100px; margin: auto;\">\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n",
            title = escape(&self.title),
            js = plotly_js(),
            body = self.body.join("\n")
        )
    }

    /// Writes the page to `path`.
    ///
    /// # Errors
    /// [`GdlabError::Io`](crate::GdlabError::Io) if the file cannot be written.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_html())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
