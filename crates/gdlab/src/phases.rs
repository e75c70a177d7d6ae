//! The heavy ball's phase diagram (Distill's "Why Momentum Really Works"), in the plane of
//! (lr·h, β) for one curvature h.
//!
//! Along a direction of curvature h the heavy ball's error follows
//! `e_{k+1} = (1 + β − lr·h)·e_k − β·e_{k−1}`, whose characteristic roots solve
//! `σ² − (1 + β − lr·h)·σ + β = 0`. Their product is β and their sum `1 + β − lr·h`, so:
//! - real and positive while `lr·h ≤ (1 − √β)²`: the error shrinks without changing sign;
//! - complex, both of size √β, while `(1 − √β)² < lr·h < (1 + √β)²`: it spirals, ripples;
//! - real and negative from `lr·h ≥ (1 + √β)²`: its sign flips at every step;
//! - one root of size ≥ 1 once `lr·h ≥ 2(1 + β)`: it grows.
//!
//! At β = 1 both roots sit on the unit circle: the error turns for ever and never settles.

/// Where a point (lr·h, β) lies in the heavy ball's phase diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Real positive roots below 1: the error shrinks and keeps its sign.
    Monotone,
    /// Complex roots of size √β < 1: the error spirals in, crossing zero again and again.
    Ripples,
    /// Real negative roots above −1: the error shrinks and flips its sign at every step.
    Alternating,
    /// A root of size ≥ 1 (lr·h ≥ 2(1 + β), or lr·h ≤ 0): the error does not shrink.
    Divergent,
    /// β = 1: both roots on the unit circle, so the error turns for ever at the same size.
    Undamped,
}

impl Phase {
    /// Its name, as the figures write it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Monotone => "monotone",
            Phase::Ripples => "ripples",
            Phase::Alternating => "alternating",
            Phase::Divergent => "divergent",
            Phase::Undamped => "undamped (β = 1)",
        }
    }
}

/// The two roots of `σ² − (1 + β − lr·h)·σ + β = 0`, as `(re, im)` pairs, the larger in size first.
///
/// ```
/// use gdlab::heavy_ball_roots;
/// let [a, b] = heavy_ball_roots(1.0, 0.25); // σ² − 0.25σ + 0.25: complex, |σ| = √β = 0.5
/// assert!(((a.0 * a.0 + a.1 * a.1).sqrt() - 0.5).abs() < 1e-15);
/// assert_eq!(a.1, -b.1);
/// ```
pub fn heavy_ball_roots(lr_h: f64, beta: f64) -> [(f64, f64); 2] {
    let t = 1.0 + beta - lr_h;
    let discriminant = t * t - 4.0 * beta;
    if discriminant < 0.0 {
        let im = (-discriminant).sqrt() / 2.0;
        [(t / 2.0, im), (t / 2.0, -im)]
    } else {
        let root = discriminant.sqrt();
        let (a, b) = ((t + t.signum() * root) / 2.0, (t - t.signum() * root) / 2.0);
        [(a, 0.0), (b, 0.0)]
    }
}

/// The region of (lr·h, β), computed from the characteristic roots: [`Phase`].
///
/// ```
/// use gdlab::{Phase, heavy_ball_phase};
/// assert_eq!(heavy_ball_phase(0.1, 0.2), Phase::Monotone);   // 0.1 ≤ (1 − √0.2)² ≈ 0.306
/// assert_eq!(heavy_ball_phase(1.0, 0.5), Phase::Ripples);
/// assert_eq!(heavy_ball_phase(2.3, 0.2), Phase::Alternating); // (1 + √0.2)² ≈ 2.09 ≤ 2.3 < 2(1 + 0.2)
/// assert_eq!(heavy_ball_phase(2.5, 0.2), Phase::Divergent);
/// assert_eq!(heavy_ball_phase(1.0, 1.0), Phase::Undamped);
/// ```
pub fn heavy_ball_phase(lr_h: f64, beta: f64) -> Phase {
    let [big, _] = heavy_ball_roots(lr_h, beta);
    let size = |r: (f64, f64)| r.0.hypot(r.1);
    if beta >= 1.0 && big.1 != 0.0 {
        Phase::Undamped
    } else if size(big) >= 1.0 {
        Phase::Divergent
    } else if big.1 != 0.0 {
        Phase::Ripples
    } else if big.0 >= 0.0 {
        // Real roots with product β ≥ 0 share the sign of their sum 1 + β − lr·h.
        Phase::Monotone
    } else {
        Phase::Alternating
    }
}

/// The boundaries of the regions over `lr·h` in [0, `lr_h_max`], `points` samples each, as
/// `(name, lr·h values, β values)` curves for a figure:
/// - the critical damping line `β = (1 − √(lr·h))²` (lr·h ≤ 1), where monotone meets ripples;
/// - `β = (√(lr·h) − 1)²` (lr·h ≥ 1), where ripples meet alternating;
/// - the stability edge `β = lr·h/2 − 1` (lr·h ≥ 2), beyond which the error grows.
pub fn phase_boundaries(lr_h_max: f64, points: usize) -> Vec<(&'static str, Vec<f64>, Vec<f64>)> {
    let grid = |lo: f64, hi: f64| -> Vec<f64> {
        let n = points.max(2);
        (0..n).map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64).collect()
    };
    let critical = grid(0.0, 1.0_f64.min(lr_h_max));
    let turning = grid(1.0, 4.0_f64.min(lr_h_max));
    let edge = grid(2.0, 4.0_f64.min(lr_h_max));
    let beta = |xs: &[f64], f: &dyn Fn(f64) -> f64| xs.iter().map(|&x| f(x)).collect::<Vec<_>>();
    vec![
        ("critical damping β = (1 − √(lr·h))²", beta(&critical, &|x| (1.0 - x.sqrt()).powi(2)), critical),
        ("β = (√(lr·h) − 1)²: real negative roots beyond", beta(&turning, &|x| (x.sqrt() - 1.0).powi(2)), turning),
        ("stability edge lr·h = 2(1 + β)", beta(&edge, &|x| x / 2.0 - 1.0), edge),
    ]
    .into_iter()
    .map(|(name, betas, xs)| (name, xs, betas))
    .collect()
}

/// A run's errors `e_0, e_1, …` along one direction, read without the roots: up to the last one
/// above `1e-4·|e_0|` (a margin well above float32's round-off, so that no sign from a run's tail
/// decides), and with exact zeros skipped
/// (at lr·h = 1 the first step lands on the axis).
struct Seen {
    /// The signs of the non-zero errors in the window.
    signs: Vec<f64>,
    /// Whether |e| ever rises from one step to the next in the window.
    rises: bool,
    /// Whether the last error of the whole run is larger than the first.
    grows: bool,
}

fn seen(errors: &[f64]) -> Seen {
    let first = errors[0].abs();
    let last = errors[errors.len() - 1].abs();
    let end = errors.iter().rposition(|e| e.abs() >= 1e-4 * first).map_or(1, |k| k + 1);
    let window = &errors[..end];
    Seen {
        signs: window.iter().filter(|e| **e != 0.0).map(|e| e.signum()).collect(),
        rises: window.windows(2).any(|w| w[1].abs() > w[0].abs()),
        grows: !last.is_finite() || last > first,
    }
}

impl Phase {
    /// Whether a run's errors `e_0, e_1, …` along one direction behave as this region says:
    /// - monotone: |e| never rises and its sign never changes;
    /// - ripples: the error crosses zero and, by the run's end, is smaller than at the start;
    /// - alternating: its sign flips at every step, and it ends smaller;
    /// - divergent: it ends larger than it started;
    /// - undamped: it crosses zero and does not shrink below a tenth of its start.
    ///
    /// Read from the run alone, near a boundary a region's run can look like its neighbour's:
    /// ripples that turn by almost half a turn a step flip their sign at nearly every step.
    ///
    /// # Panics
    /// If `errors` is empty.
    pub fn describes(self, errors: &[f64]) -> bool {
        let seen = seen(errors);
        let flips = seen.signs.windows(2).filter(|w| w[0] != w[1]).count();
        match self {
            Phase::Monotone => flips == 0 && !seen.rises,
            Phase::Ripples => flips > 0 && !seen.grows,
            Phase::Alternating => flips + 1 == seen.signs.len() && flips > 0 && !seen.grows,
            Phase::Divergent => seen.grows,
            Phase::Undamped => {
                let tenth = errors[0].abs() / 10.0;
                flips > 0 && errors.iter().rev().take(20).any(|e| e.abs() > tenth)
            }
        }
    }
}
