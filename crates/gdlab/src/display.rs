//! Matrices printed as torch and numpy print them, instead of ndarray's Debug dump with strides.

use std::fmt;

use ndarray::ArrayRef2;

use crate::real::Real;

/// A matrix ready to print. Its `Display` and `Debug` are the same, so evcxr shows it as is.
#[derive(Clone, PartialEq, Eq)]
pub struct Shown {
    cells: Vec<Vec<String>>,
    separator: &'static str,
}

/// Prints like torch: 4 decimals, or scientific notation when the magnitudes span more than
/// 1000× (or reach below 1e-4), or `1.` for whole numbers; columns aligned.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0]);
/// assert_eq!(show(&m).to_string(), "[[1., 0.],\n [0., 2.]]");
/// assert_eq!(show(&array![[0.5f32, 0.25]]).to_string(), "[[0.5000, 0.2500]]");
/// ```
pub fn show<T: Real>(a: &ArrayRef2<T>) -> Shown {
    let finite: Vec<f64> = a.iter().map(|v| v.as_f64()).filter(|v| v.is_finite()).collect();
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
    Shown::new(a, |v| format(v.as_f64()), ", ")
}

/// Prints with a fixed number of decimals, as the original's
/// `np.set_printoptions(formatter={'float': '{0:0.2f}'.format})` does for the difference matrix.
///
/// ```
/// use gdlab::prelude::*;
/// assert_eq!(show_decimals(&array![[-0.284f32, 1.259]], 2).to_string(), "[[-0.28  1.26]]");
/// ```
pub fn show_decimals<T: Real>(a: &ArrayRef2<T>, decimals: usize) -> Shown {
    Shown::new(a, |v| format!("{:.*}", decimals, v.as_f64()), " ")
}

/// Prints an integer matrix, such as an indicator matrix.
pub fn show_int(a: &ArrayRef2<i32>) -> Shown {
    Shown::new(a, |v| v.to_string(), ", ")
}

/// A scalar as torch prints a loss: `1.6650`, or `4.7337e-05` below 1e-4.
///
/// ```
/// assert_eq!(gdlab::show_scalar(1.665042f32).to_string(), "1.6650");
/// assert_eq!(gdlab::show_scalar(4.4184e-06f32), "4.4184e-06");
/// ```
pub fn show_scalar<T: Real>(x: T) -> ShownScalar {
    let v = x.as_f64();
    let text = if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() > 1e8) { sci(v, 4) } else { format!("{v:.4}") };
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

impl Shown {
    fn new<T: Copy>(a: &ArrayRef2<T>, format: impl Fn(T) -> String, separator: &'static str) -> Self {
        let cells = a.rows().into_iter().map(|row| row.iter().map(|&v| format(v)).collect()).collect();
        Shown { cells, separator }
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.cells.iter().flatten().map(String::len).max().unwrap_or(0);
        let rows: Vec<String> = self
            .cells
            .iter()
            .map(|row| {
                let cells: Vec<String> = row.iter().map(|c| format!("{c:>width$}")).collect();
                format!("[{}]", cells.join(self.separator))
            })
            .collect();
        let joint = if self.separator == " " { "\n " } else { ",\n " };
        write!(f, "[{}]", rows.join(joint))
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Shows a cell's final value in one compile instead of two. In the prelude.
///
/// evcxr first compiles `(value).evcxr_display()`; when the type has no such method it compiles
/// the cell a second time, printing `{:?}`. This trait gives every `Debug` type the method and
/// prints exactly what that second compile would, so a cell ending in `loss` or `df.head(..)`
/// is compiled once. Types with their own `evcxr_display`, like [`Figure`](crate::Figure),
/// keep it: an inherent method wins over a trait method.
pub trait EvcxrDebug {
    /// Sends `{:?}` of the value to evcxr as `text/plain`.
    fn evcxr_display(&self);
}

impl<T: fmt::Debug + ?Sized> EvcxrDebug for T {
    fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self:?}\nEVCXR_END_CONTENT");
    }
}
