//! The few dense decompositions the lesson needs, in `f64`, for matrices of at most a few
//! hundred entries: the inverse (Gauss–Jordan with partial pivoting), the symmetric
//! eigen-decomposition (cyclic Jacobi), the SVD (one-sided Jacobi) and an orthogonal Q
//! (Householder).
//!
//! Why not a crate: nalgebra 0.35 did this before, and it cost every student 387 MiB. A
//! project kernel after 01's set-up cell and one `let` held 1707 MiB with it and 1320 MiB
//! without (evcxr's rust-analyzer loads the whole crate graph; `cargo xtask bench hub`).
//! linfa-linalg, the pure-Rust alternative, is on ndarray 0.16 and would add a second ndarray.
//! Jacobi methods are short, need no tuning, and are accurate to a few ulps of the matrix's
//! norm, which is what the lesson's checks against torch.linalg need.

use ndarray::{Array1, Array2, ArrayRef2, s};

/// Sweeps after which a Jacobi method stops even if it has not settled. Each sweep squares the
/// off-diagonal part once it is small; a 100×100 matrix settles in about 10.
const MAX_SWEEPS: usize = 60;

/// The inverse, or `None` when a pivot is exactly zero (a singular matrix).
pub(crate) fn inverse(a: &ArrayRef2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut left = a.to_owned();
    let mut right = Array2::<f64>::eye(n);
    for col in 0..n {
        // The largest entry at or below the diagonal becomes the pivot: it keeps the
        // multipliers at most 1 in size.
        let pivot = (col..n).max_by(|&i, &j| left[[i, col]].abs().total_cmp(&left[[j, col]].abs()))?;
        if left[[pivot, col]] == 0.0 {
            return None;
        }
        for m in [&mut left, &mut right] {
            for k in 0..n {
                m.swap([col, k], [pivot, k]);
            }
        }
        let p = left[[col, col]];
        left.row_mut(col).mapv_inplace(|v| v / p);
        right.row_mut(col).mapv_inplace(|v| v / p);
        for row in (0..n).filter(|&r| r != col) {
            let f = left[[row, col]];
            if f != 0.0 {
                let (pl, pr) = (left.row(col).to_owned(), right.row(col).to_owned());
                left.row_mut(row).scaled_add(-f, &pl);
                right.row_mut(row).scaled_add(-f, &pr);
            }
        }
    }
    Some(right)
}

/// Cyclic Jacobi: `rotate(p, q)` for every pair p < q, sweep after sweep, until a whole sweep
/// rotates nothing (`rotate` says whether it did) or [`MAX_SWEEPS`] have passed.
fn sweeps(n: usize, mut rotate: impl FnMut(usize, usize) -> bool) {
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                rotated |= rotate(p, q);
            }
        }
        if !rotated {
            break;
        }
    }
}

/// `(c, s)` of the plane rotation that makes a 2×2 symmetric block `[[a, g], [g, b]]`
/// diagonal: `t = tan θ` is the smaller root of `t² + 2ζt − 1 = 0`, `ζ = (b − a)/(2g)`.
fn rotation(a: f64, b: f64, g: f64) -> (f64, f64) {
    let zeta = (b - a) / (2.0 * g);
    let t = zeta.signum() / (zeta.abs() + zeta.hypot(1.0));
    let c = 1.0 / t.hypot(1.0);
    (c, c * t)
}

/// Columns p and q of `m` become `c·p − s·q` and `s·p + c·q`.
fn rotate_columns(m: &mut ArrayRef2<f64>, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..m.nrows() {
        let (mp, mq) = (m[[k, p]], m[[k, q]]);
        m[[k, p]] = c * mp - s * mq;
        m[[k, q]] = s * mp + c * mq;
    }
}

/// The eigenvalues of a symmetric matrix and its unit eigenvectors (as the columns of the
/// second), in no particular order: cyclic Jacobi, each rotation `A ← Jᵀ·A·J` zeroing one
/// off-diagonal pair until none is above a rounding error of its diagonal.
pub(crate) fn symmetric_eigen(a: &ArrayRef2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut a = a.to_owned();
    let mut v = Array2::<f64>::eye(n);
    sweeps(n, |p, q| {
        let g = a[[p, q]];
        if g.abs() <= f64::EPSILON * (a[[p, p]] * a[[q, q]]).abs().sqrt() || g == 0.0 {
            return false;
        }
        let (c, s) = rotation(a[[p, p]], a[[q, q]], g);
        rotate_columns(&mut a, p, q, c, s);
        rotate_columns(&mut a.view_mut().reversed_axes(), p, q, c, s); // the rows
        rotate_columns(&mut v, p, q, c, s);
        true
    });
    (a.diag().to_vec(), v)
}

/// A thin SVD `A = U·diag(σ)·Vᵀ`: U is m×k, σ has k entries (not sorted), V is n×k, with
/// k = min(m, n). One-sided Jacobi: rotations of A's columns (and of I's, giving V) until every
/// pair is orthogonal to a rounding error; then σ are the column norms and U the columns
/// divided by them (a zero column of U for σ = 0).
pub(crate) fn svd(a: &ArrayRef2<f64>) -> (Array2<f64>, Array1<f64>, Array2<f64>) {
    if a.nrows() < a.ncols() {
        // Aᵀ = U'·Σ·V'ᵀ, so A = V'·Σ·U'ᵀ.
        let (u, sigma, v) = svd(&a.t().to_owned());
        return (v, sigma, u);
    }
    let n = a.ncols();
    let mut u = a.to_owned();
    let mut v = Array2::<f64>::eye(n);
    sweeps(n, |p, q| {
        let (cp, cq) = (u.column(p), u.column(q));
        let (alpha, beta, gamma) = (cp.dot(&cp), cq.dot(&cq), cp.dot(&cq));
        if gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() || gamma == 0.0 {
            return false;
        }
        let (c, s) = rotation(alpha, beta, gamma);
        rotate_columns(&mut u, p, q, c, s);
        rotate_columns(&mut v, p, q, c, s);
        true
    });
    let sigma = Array1::from_shape_fn(n, |k| u.column(k).dot(&u.column(k)).sqrt());
    for (k, &sk) in sigma.iter().enumerate() {
        u.column_mut(k).mapv_inplace(|x| if sk > 0.0 { x / sk } else { 0.0 });
    }
    (u, sigma, v)
}

/// The singular values of A, in no particular order.
pub(crate) fn singular_values(a: &ArrayRef2<f64>) -> Array1<f64> {
    svd(a).1
}

/// The orthogonal factor Q of `A = Q·R` for a square A, by Householder reflections.
pub(crate) fn orthogonal_factor(a: &ArrayRef2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let mut r = a.to_owned();
    let mut q = Array2::<f64>::eye(n);
    for k in 0..n.saturating_sub(1) {
        // The reflection H = I − 2·w·wᵀ sends column k's part below the diagonal to ±‖x‖·e₁,
        // the sign chosen against x₀ so that nothing cancels.
        let x = r.slice(s![k.., k]).to_owned();
        let norm = x.dot(&x).sqrt();
        if norm == 0.0 {
            continue;
        }
        let mut w = x;
        w[0] += if w[0] >= 0.0 { norm } else { -norm };
        let wn = w.dot(&w).sqrt();
        w.mapv_inplace(|v| v / wn);
        // R ← H·R on rows k.., Q ← Q·H on columns k..
        let mut rk = r.slice_mut(s![k.., ..]);
        let wr = w.dot(&rk);
        for (i, &wi) in w.iter().enumerate() {
            rk.row_mut(i).scaled_add(-2.0 * wi, &wr);
        }
        let mut qk = q.slice_mut(s![.., k..]);
        let qw = qk.dot(&w);
        for (j, &wj) in w.iter().enumerate() {
            qk.column_mut(j).scaled_add(-2.0 * wj, &qw);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn max_abs(m: &Array2<f64>) -> f64 {
        m.iter().fold(0.0, |a, &b| a.max(b.abs()))
    }

    fn hilbert(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, n), |(i, j)| 1.0 / (i + j + 1) as f64)
    }

    #[test]
    fn the_inverse_times_the_matrix_is_the_identity() {
        let a = array![[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]]; // needs a row swap
        let inv = inverse(&a).unwrap();
        assert!(max_abs(&(inv.dot(&a) - Array2::<f64>::eye(3))) < 1e-15);
        assert_eq!(inverse(&array![[1.0, 2.0], [2.0, 4.0]]), None);
        assert_eq!(inverse(&Array2::from_diag(&array![1.0, 2.0, 4.0])).unwrap()[[2, 2]], 0.25);
    }

    #[test]
    fn eigenvectors_satisfy_a_v_equals_lambda_v() {
        let h = hilbert(6);
        let (l, v) = symmetric_eigen(&h);
        assert!(max_abs(&(h.dot(&v) - &v * &Array1::from(l.clone()))) < 1e-15);
        assert!(max_abs(&(v.t().dot(&v) - Array2::<f64>::eye(6))) < 1e-14);
        // Hilbert(6)'s smallest eigenvalue, 1.0827994845e-7 (Todd, 1954).
        let smallest = l.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((smallest / 1.082_799_484_5e-7 - 1.0).abs() < 1e-9, "{smallest}");
    }

    #[test]
    fn the_svd_reassembles_the_matrix_tall_and_wide() {
        let a = Array2::from_shape_fn((7, 3), |(i, j)| ((i * 3 + j) as f64 * 0.7).sin());
        for m in [a.clone(), a.t().to_owned()] {
            let (u, sigma, v) = svd(&m);
            let back = (&u * &sigma).dot(&v.t());
            assert!(max_abs(&(back - &m)) < 1e-14);
            assert!(max_abs(&(v.t().dot(&v) - Array2::<f64>::eye(3))) < 1e-14);
        }
        // Rank one: one singular value, √(14·3), the rest zero.
        let r1 = array![[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]];
        let mut sv = singular_values(&r1).to_vec();
        sv.sort_by(f64::total_cmp);
        assert!((sv[2] - 42f64.sqrt()).abs() < 1e-14 && sv[1] < 1e-15, "{sv:?}");
    }

    #[test]
    fn q_is_orthogonal_and_q_transpose_a_is_upper_triangular() {
        let a = Array2::from_shape_fn((5, 5), |(i, j)| ((i * 5 + j) as f64 * 1.3).cos());
        let q = orthogonal_factor(&a);
        assert!(max_abs(&(q.t().dot(&q) - Array2::<f64>::eye(5))) < 1e-15);
        let r = q.t().dot(&a);
        assert!((0..5).all(|i| (0..i).all(|j| r[[i, j]].abs() < 1e-15)));
    }
}
