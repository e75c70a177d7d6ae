//! Matrices printed as torch and numpy print them, instead of ndarray's Debug dump with strides.
//!
//! In a notebook a cell that ends in a matrix needs no call at all: [`EvcxrShow`], in the
//! prelude, prints arrays as torch does. [`show_decimals`], [`show_pyformat`] and [`show_scalar`] are for
//! `println!`, as in the lesson's loop.

use std::fmt;

use ndarray::{ArrayBase, ArrayRef2, Data, Ix1, Ix2};

use crate::real::Real;

/// A matrix ready to print. Its `Display` and `Debug` are the same, so evcxr shows it as is.
#[derive(Clone, PartialEq, Eq)]
pub struct Shown {
    cells: Vec<Vec<String>>,
    style: Style,
}

/// torch pads every number to one width and separates them with commas; numpy with a
/// `formatter` prints each number as the formatter returns it, separated by one space.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Torch,
    Numpy,
}

/// An element type that prints as torch prints its tensors. Sealed.
pub trait TorchElement: Copy + sealed::Sealed {
    /// Each element's text, given all of them (torch picks one format per tensor).
    #[doc(hidden)]
    fn texts(values: &[Self]) -> Vec<String>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
    impl Sealed for usize {}
}

macro_rules! integer_elements {
    ($($t:ty),*) => {$(
        impl TorchElement for $t {
            fn texts(values: &[Self]) -> Vec<String> {
                values.iter().map(|v| v.to_string()).collect()
            }
        }
    )*};
}
integer_elements!(i32, i64, u32, u64, usize);

macro_rules! float_elements {
    ($($t:ty),*) => {$(
        impl TorchElement for $t {
            fn texts(values: &[Self]) -> Vec<String> {
                let values: Vec<f64> = values.iter().map(|v| v.as_f64()).collect();
                float_texts(&values)
            }
        }
    )*};
}
float_elements!(f32, f64);

/// torch's choice: 4 decimals, or scientific notation when the magnitudes span more than
/// 1000× (or reach below 1e-4), or `1.` when every value is whole.
fn float_texts(values: &[f64]) -> Vec<String> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let nonzero: Vec<f64> = finite.iter().map(|v| v.abs()).filter(|&v| v > 0.0).collect();
    let max = nonzero.iter().copied().fold(0.0, f64::max);
    let min = nonzero.iter().copied().fold(f64::INFINITY, f64::min);
    let whole = finite.iter().all(|v| v.fract() == 0.0);
    let wide = !nonzero.is_empty() && (max / min > 1000.0 || max > 1e8);
    let format: fn(f64) -> String = if whole && !wide {
        |v| format!("{v:.0}.")
    } else if wide || (!whole && !nonzero.is_empty() && min < 1e-4) {
        |v| sci(v, 4)
    } else {
        |v| format!("{v:.4}")
    };
    values.iter().map(|&v| format(v)).collect()
}

/// Prints like torch: 4 decimals, or scientific notation when the magnitudes span more than
/// 1000× (or reach below 1e-4), or `1.` for whole numbers; integers as they are; columns aligned.
///
/// A cell that ends in a matrix prints this way by itself (see [`EvcxrShow`]); `show` is for
/// `println!` and `format!`.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0]);
/// assert_eq!(show(&m).to_string(), "[[1., 0.],\n [0., 2.]]");
/// assert_eq!(show(&array![[0.5f32, 0.25]]).to_string(), "[[0.5000, 0.2500]]");
/// assert_eq!(show(&array![[0, 1], [1, 1]]).to_string(), "[[0, 1],\n [1, 1]]");
/// ```
pub fn show<A: TorchElement>(a: &ArrayRef2<A>) -> Shown {
    let flat: Vec<A> = a.iter().copied().collect();
    let mut texts = A::texts(&flat).into_iter();
    let cells = (0..a.nrows()).map(|_| texts.by_ref().take(a.ncols()).collect()).collect();
    Shown { cells, style: Style::Torch }
}

/// Prints with a fixed number of decimals, one space apart, no padding, as numpy prints with a
/// fixed-decimals `formatter`. A value that rounds to zero prints as `0.00`, without a sign: the
/// sign of a rounding error says nothing about the mathematics.
///
/// ```
/// use gdlab::prelude::*;
/// let diff = array![[-0.284f32, 1.259], [0.852, -0.001]];
/// assert_eq!(show_decimals(&diff, 2).to_string(), "[[-0.28 1.26]\n [0.85 0.00]]");
/// ```
pub fn show_decimals<T: Real>(a: &ArrayRef2<T>, decimals: usize) -> Shown {
    fixed(a, decimals, |text| {
        if text.trim_start_matches(['-', '0', '.']).is_empty() { text.trim_start_matches('-') } else { text }
    })
}

/// Prints as the original's numpy does after
/// `np.set_printoptions(formatter={'float': lambda x: "{0:0.2f}".format(x)})`: like
/// [`show_decimals`], but a small negative number keeps its sign, `-0.00`, as Python's format
/// writes it. Notebook 01 uses it so that its printout is the original's, character for character.
///
/// ```
/// use gdlab::prelude::*;
/// let diff = array![[-0.284f32, 1.259], [0.852, -0.001]];
/// assert_eq!(show_pyformat(&diff, 2).to_string(), "[[-0.28 1.26]\n [0.85 -0.00]]");
/// ```
pub fn show_pyformat<T: Real>(a: &ArrayRef2<T>, decimals: usize) -> Shown {
    fixed(a, decimals, |text| text)
}

/// Each entry with `decimals` decimals, passed through `clean`, in numpy's layout.
fn fixed<T: Real>(a: &ArrayRef2<T>, decimals: usize, clean: fn(&str) -> &str) -> Shown {
    let text = |v: &T| clean(&format!("{:.*}", decimals, v.as_f64())).to_string();
    let cells = a.rows().into_iter().map(|row| row.iter().map(text).collect()).collect();
    Shown { cells, style: Style::Numpy }
}

/// Two printouts side by side, line by line, the left one padded to its widest line: a
/// formula's matrix next to the tape's.
///
/// ```
/// use gdlab::prelude::*;
/// let text = beside(&show(&array![[1.0f32], [2.0]]), &show(&array![[3.0f32], [4.0]]));
/// assert_eq!(text, "[[1.],    [[3.],\n [2.]]     [4.]]");
/// ```
pub fn beside(left: &impl fmt::Display, right: &impl fmt::Display) -> String {
    let (left, right) = (left.to_string(), right.to_string());
    let width = left.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let (l, r): (Vec<&str>, Vec<&str>) = (left.lines().collect(), right.lines().collect());
    (0..l.len().max(r.len()))
        .map(|i| {
            let a = l.get(i).copied().unwrap_or("");
            let b = r.get(i).copied().unwrap_or("");
            format!("{a:<width$}    {b}").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A scalar as torch prints a loss: `1.6650`, or `4.7337e-05` below 1e-4.
///
/// ```
/// assert_eq!(gdlab::show_scalar(1.665042f32).to_string(), "1.6650");
/// assert_eq!(gdlab::show_scalar(4.4184e-06f32), "4.4184e-06");
/// ```
pub fn show_scalar<T: Real>(x: T) -> ShownScalar {
    let v = x.as_f64();
    let text =
        if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() > 1e8) { sci(v, 4) } else { format!("{v:.4}") };
    ShownScalar(text)
}

/// A number ready to print; evcxr shows it without quotes.
#[derive(Clone, PartialEq, Eq)]
pub struct ShownScalar(String);

impl fmt::Display for ShownScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShownScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq<&str> for ShownScalar {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// `{:.4e}` with Python's exponent: a sign and at least two digits (`3.5046e-02`).
fn sci(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s, // NaN and inf
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = match self.style {
            Style::Torch => self.cells.iter().flatten().map(|c| c.chars().count()).max().unwrap_or(0),
            Style::Numpy => 0,
        };
        let (separator, joint) = match self.style {
            Style::Torch => (", ", ",\n "),
            Style::Numpy => (" ", "\n "),
        };
        let rows: Vec<String> = self
            .cells
            .iter()
            .map(|row| {
                let cells: Vec<String> = row.iter().map(|c| format!("{c:>width$}")).collect();
                format!("[{}]", cells.join(separator))
            })
            .collect();
        write!(f, "[{}]", rows.join(joint))
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What evcxr shows for a cell's final value, in one compile. In the prelude.
///
/// evcxr first compiles `(value).evcxr_display()`; when the type has no such method it
/// compiles the cell a second time, printing `{:?}`. This trait gives the types a notebook
/// ends cells with that method:
/// - 1- and 2-dimensional arrays of floats and integers print as torch prints a tensor
///   (see [`show`]), so a cell ending in `m1234` needs no wrapper;
/// - numbers, strings, `Vec`s, `Option`s, data frames and gdlab's own types print their
///   `Debug`, exactly what evcxr's second compile would print;
/// - `()` prints nothing, so a cell may end in a `for` loop.
///
/// Other types still display, through evcxr's second compile. Types with their own
/// `evcxr_display`, like [`Figure`](crate::Figure), keep it: an inherent method wins.
///
/// There is no blanket impl for every `Debug` type: it would make the array impl ambiguous.
pub trait EvcxrShow {
    /// Sends the value's text to evcxr as `text/plain`.
    fn evcxr_display(&self);
}

pub(crate) fn send_plain(text: &dyn fmt::Display) {
    send("text/plain", text);
}

/// One MIME type of a cell's result, in evcxr's protocol on stdout (read with the cell's reply).
pub(crate) fn send(mime: &str, content: &dyn fmt::Display) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

impl<S: Data> EvcxrShow for ArrayBase<S, Ix2>
where
    S::Elem: TorchElement,
{
    fn evcxr_display(&self) {
        send_plain(&show(self));
    }
}

impl<S: Data> EvcxrShow for ArrayBase<S, Ix1>
where
    S::Elem: TorchElement,
{
    fn evcxr_display(&self) {
        let row = self.view().insert_axis(ndarray::Axis(0));
        let text = show(&row).to_string();
        send_plain(&&text[1..text.len() - 1]);
    }
}

impl EvcxrShow for () {
    fn evcxr_display(&self) {}
}

impl<T: EvcxrShow + ?Sized> EvcxrShow for &T {
    fn evcxr_display(&self) {
        (**self).evcxr_display();
    }
}

macro_rules! debug_shown {
    ($([$($generics:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($generics)*> EvcxrShow for $t {
            fn evcxr_display(&self) {
                send_plain(&format_args!("{self:?}"));
            }
        }
    )*};
}

debug_shown!(
    [] f32, [] f64, [] i8, [] i16, [] i32, [] i64, [] i128, [] isize,
    [] u8, [] u16, [] u32, [] u64, [] u128, [] usize, [] bool, [] char, [] str, [] String,
    [T: fmt::Debug] Vec<T>, [T: fmt::Debug] [T], [T: fmt::Debug, const N: usize] [T; N], [T: fmt::Debug] Option<T>,
    [A: fmt::Debug, B: fmt::Debug] (A, B), [A: fmt::Debug, B: fmt::Debug, C: fmt::Debug] (A, B, C),
    [] polars::prelude::DataFrame, [] polars::prelude::Column,
    [] crate::GdlabError, [] ShownScalar, [] Shown,
    [T: fmt::Debug] crate::History<T>, [T: fmt::Debug] crate::Snapshot<T>,
    [] crate::RateComparison, [] crate::SweepPoint, [] crate::ConditioningCase,
);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn numpy_style_has_no_padding_and_torch_style_aligns() {
        let a = array![[-0.28f32, 1.26], [0.85, -0.37]];
        assert_eq!(show_decimals(&a, 2).to_string(), "[[-0.28 1.26]\n [0.85 -0.37]]");
        assert_eq!(show(&a).to_string(), "[[-0.2800,  1.2600],\n [ 0.8500, -0.3700]]");
    }

    #[test]
    fn wide_ranges_switch_to_scientific_notation() {
        let g = array![[-3.5046e-2f32, 1.1024], [1.0338e-3, 0.5]];
        assert_eq!(show(&g).to_string(), "[[-3.5046e-02,  1.1024e+00],\n [ 1.0338e-03,  5.0000e-01]]");
    }
}
