//! torch's CPU generator: `torch.manual_seed` and `torch.rand`, bit for bit.

use ndarray::{Array, ShapeBuilder};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::RngCore;
use ndarray_rand::rand::distr::Distribution;
use rand_mt::Mt;

use crate::error::{Result, ensure_param};
use crate::real::Real;

/// The generator behind `torch.manual_seed(s)` on the CPU: MT19937 seeded with `s mod 2^32`.
///
/// Seeds are `u64`, as torch's are; only the low 32 bits reach MT19937, so `2^32 + 314`
/// draws the same numbers as `314`. torch also accepts negative seeds and wraps them as
/// two's complement: `torch.manual_seed(-1)` is `TorchRng::manual_seed(-1_i64 as u64)`.
///
/// It implements [`RngCore`] of the `rand` version that ndarray-rand uses, with
/// `next_u64` built as torch's `random64()` is: `(first_u32 << 32) | second_u32`.
///
/// ```
/// use gdlab::prelude::*;
/// let mut rng = TorchRng::manual_seed(314);
/// let x: Array2<f32> = rng.rand((4, 4));
/// assert_eq!(x[[0, 0]], 0.7196354866027832); // torch.rand(4, 4)[0, 0] after manual_seed(314)
/// ```
#[derive(Clone, Debug)]
pub struct TorchRng {
    mt: Mt,
    seed: u64,
}

impl TorchRng {
    /// `torch.manual_seed(seed)`: a generator in the state torch's default CPU generator has after it.
    pub fn manual_seed(seed: u64) -> Self {
        TorchRng { mt: Mt::new(seed as u32), seed }
    }

    /// The seed this generator started from, like `torch.initial_seed()`.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// `torch.rand(shape, dtype=T)`: uniform values in [0, 1), filled in row-major order.
    ///
    /// The result always has the standard (row-major) layout, like a torch tensor; a
    /// Fortran-order shape (`.f()`) is read for its dimensions only.
    pub fn rand<T: Real, Sh: ShapeBuilder>(&mut self, shape: Sh) -> Array<T, Sh::Dim> {
        // ndarray-rand fills a Fortran-order shape column by column; torch fills row-major.
        let dim = shape.into_shape_with_order().raw_dim().clone();
        Array::random_using(dim, TorchUniform, self)
    }
}

/// The largest n + 1 for which `torch.randperm(n)` on the CPU is the Fisher–Yates shuffle
/// [`TorchRng::randperm`] reproduces: ATen's `randperm_cpu` keeps it for
/// `n < u32::MAX / 20` and switches to another shuffle (64-bit draws, inside-out) past it.
pub const RANDPERM_LIMIT: usize = (u32::MAX / 20) as usize;

impl TorchRng {
    /// `torch.randperm(n)` on the CPU, bit for bit: `0..n`, then for i = 0 … n−2 a draw
    /// `z = next_u32() % (n − i)` and a swap of entries i and i + z, on the same stream as
    /// [`rand`](Self::rand) (so the draws before it matter, as in torch).
    ///
    /// ```
    /// use gdlab::prelude::*;
    /// let mut rng = TorchRng::manual_seed(7);
    /// let _ = rng.rand::<f32, _>(5);
    /// assert_eq!(rng.randperm(12)?, [3, 1, 11, 7, 5, 8, 0, 10, 9, 2, 6, 4]); // torch, after rand(5)
    /// # Ok::<(), gdlab::GdlabError>(())
    /// ```
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for
    /// `n ≥` [`RANDPERM_LIMIT`], where torch shuffles another way.
    pub fn randperm(&mut self, n: usize) -> Result<Vec<usize>> {
        ensure_param(
            n < RANDPERM_LIMIT,
            "n",
            n as f64,
            "n < 214748364 (u32::MAX / 20): past it torch.randperm shuffles another way, which gdlab does not reproduce",
        )?;
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..n.saturating_sub(1) {
            let z = self.next_u32() as usize % (n - i);
            perm.swap(i, i + z);
        }
        Ok(perm)
    }
}

impl RngCore for TorchRng {
    fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.mt.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.mt.fill_bytes(dest)
    }
}

/// torch.rand's distribution, for ndarray-rand: with a [`TorchRng`],
/// `Array2::random_using((4, 4), TorchUniform, &mut rng)` gives the same bits as `rng.rand((4, 4))`.
///
/// ```
/// use gdlab::prelude::*;
/// use gdlab::TorchUniform;
/// use gdlab::ndarray_rand::RandomExt;
/// let a: Array2<f64> = Array2::random_using((3, 2), TorchUniform, &mut TorchRng::manual_seed(7));
/// let b: Array2<f64> = TorchRng::manual_seed(7).rand((3, 2));
/// assert_eq!(a, b);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TorchUniform;

impl<T: Real> Distribution<T> for TorchUniform {
    fn sample<R: ndarray_rand::rand::Rng + ?Sized>(&self, rng: &mut R) -> T {
        T::torch_uniform(rng)
    }
}
