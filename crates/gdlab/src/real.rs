//! The element types gdlab computes with: `f32` (torch's default) and `f64`.

use ndarray::NdFloat;
use ndarray_rand::rand::RngCore;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64`. Sealed: the torch bit layouts below exist for these two only.
pub trait Real: NdFloat + Default + Send + Sync + sealed::Sealed {
    /// torch's name for the dtype, `"float32"` or `"float64"`.
    const DTYPE: &'static str;

    /// One draw of `torch.rand` in this dtype.
    ///
    /// float32 takes `(u32 & 0xFFFFFF) * 2^-24`; float64 takes the 53 low bits of
    /// `(first_u32 << 32) | second_u32`, times `2^-53` (ATen's `uniform_real_distribution`).
    fn torch_uniform<R: RngCore + ?Sized>(rng: &mut R) -> Self;

    /// Widen to `f64` (exact for both types).
    fn as_f64(self) -> f64;

    /// Narrow from `f64`, rounding to nearest, as torch casts a Python float.
    fn from_f64_lossy(v: f64) -> Self;
}

impl Real for f32 {
    const DTYPE: &'static str = "float32";

    fn torch_uniform<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        (rng.next_u32() & 0x00FF_FFFF) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    fn as_f64(self) -> f64 {
        f64::from(self)
    }

    fn from_f64_lossy(v: f64) -> Self {
        v as f32
    }
}

impl Real for f64 {
    const DTYPE: &'static str = "float64";

    fn torch_uniform<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        (rng.next_u64() & ((1u64 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn as_f64(self) -> f64 {
        self
    }

    fn from_f64_lossy(v: f64) -> Self {
        v
    }
}
