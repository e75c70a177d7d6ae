//! Handwritten digits drawn as they are: 8×8 grey pixels, many to a figure.

use ndarray::{Array2, ArrayView1};
use plotly::common::{ColorScale, ColorScalePalette, Title};
use plotly::layout::{Annotation, Axis, Layout, Margin};
use plotly::{HeatMap, Plot};

use super::figure::Figure;
use crate::digits::PIXELS;
use crate::error::{Result, ensure_param};

const SIDE: usize = 8;
const GAP: usize = 2; // blank pixels between two images, and room for a caption above each

/// Images of 64 pixels (0 = white paper, 1 = black ink, as `pixels / 16`) tiled `columns` to a
/// row, each captioned, on one grey scale from 0 to 1: a grid of digits, or the mean images of
/// two classes side by side. Hovering a pixel shows its value.
///
/// ```
/// use gdlab::{Digits, digits_figure};
/// let (x, _) = Digits::load().pair(3, 7)?;
/// let images: Vec<_> = (0..6).map(|i| ("?".to_string(), x.row(i))).collect();
/// let figure = digits_figure(&images, 3, "six images")?;
/// assert!(figure.to_json().contains("six images"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for no image, 0 columns,
/// or an image that has not 64 pixels.
pub fn digits_figure(images: &[(String, ArrayView1<'_, f32>)], columns: usize, title: &str) -> Result<Figure> {
    mosaic(images, columns, title, Ink::Grey)
}

/// Weights over the 64 pixels (a linear model's, or one hidden unit's) drawn as 8×8 images, on
/// the diverging scale the lesson uses for matrices: red where ink pushes the logit up (towards
/// the class with target 1), blue where it pushes it down, white for 0; one range for all.
///
/// ```
/// use gdlab::prelude::*;
/// let w = Array1::from_iter((0..64).map(|p| p as f32 - 32.0));
/// let figure = gdlab::weights_figure(&[("w".to_string(), w.view())], 1, "weights")?;
/// assert!(figure.to_json().contains("\"zmid\":0.0"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// As [`digits_figure`].
pub fn weights_figure(images: &[(String, ArrayView1<'_, f32>)], columns: usize, title: &str) -> Result<Figure> {
    mosaic(images, columns, title, Ink::Diverging)
}

#[derive(Clone, Copy, PartialEq)]
enum Ink {
    Grey,
    Diverging,
}

fn mosaic(images: &[(String, ArrayView1<'_, f32>)], columns: usize, title: &str, ink: Ink) -> Result<Figure> {
    ensure_param(!images.is_empty(), "images", 0.0, "at least one image")?;
    ensure_param(columns > 0, "columns", 0.0, "at least one column")?;
    let wrong = images.iter().map(|(_, im)| im.len()).find(|&n| n != PIXELS);
    ensure_param(wrong.is_none(), "pixels", wrong.unwrap_or(0) as f64, "64 pixels an image (8 × 8)")?;
    let columns = columns.min(images.len());
    let rows = images.len().div_ceil(columns);
    let step = SIDE + GAP;
    // One mosaic, NaN between the tiles (drawn as nothing): 8 × 8 pixels every `step`.
    let mut z = Array2::from_elem((rows * step - GAP + 1, columns * step - GAP), f64::NAN);
    let mut captions = Vec::new();
    for (k, (caption, image)) in images.iter().enumerate() {
        let (top, left) = (1 + (k / columns) * step, (k % columns) * step);
        for (p, &v) in image.iter().enumerate() {
            z[[top + p / SIDE, left + p % SIDE]] = f64::from(v);
        }
        let centre = (left as f64) + (SIDE as f64 - 1.0) / 2.0;
        captions.push(Annotation::new().x(centre).y(top as f64 - 1.0).text(caption).show_arrow(false));
    }
    let (height, width) = z.dim();
    let trace = match ink {
        Ink::Grey => HeatMap::new((0..width).collect(), (0..height).collect(), super::style::rows_of(z.view()))
            .zmin(0.0)
            .zmax(1.0)
            .color_scale(ColorScale::Palette(ColorScalePalette::Greys))
            .reverse_scale(true) // plotly's Greys runs black to white; ink is dark on white paper
            .hover_template("%{z:.3f}<extra></extra>"),
        Ink::Diverging => {
            let reach = super::style::reach(z.iter().filter(|v| !v.is_nan()));
            super::style::diverging_heatmap(z.view(), reach, "")
        }
    };
    let mut plot = Plot::new();
    plot.add_trace(trace);
    let hidden = |range: Vec<f64>| Axis::new().range(range).visible(false);
    // Square pixels, px screen pixels each (bigger when there are few images); the y axis is tied
    // to x, rows top-down as an image reads.
    let px = (480 / width).clamp(12, 24);
    let layout = Layout::new()
        .title(Title::with_text(title))
        .x_axis(hidden(vec![-0.5, width as f64 - 0.5]))
        .y_axis(hidden(vec![height as f64 - 0.5, -0.5]).scale_anchor("x"))
        .annotations(captions)
        .margin(Margin::new().top(60).bottom(10).left(10).right(10))
        .width(width * px + 190)
        .height(height * px + 70);
    plot.set_layout(layout);
    Ok(Figure::new(plot, height * px + 90))
}
