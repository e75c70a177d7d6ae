//! Real handwritten digits, for the classifier: scikit-learn's `load_digits` (UCI "Optical
//! Recognition of Handwritten Digits", CC BY 4.0), 1,797 images of 8×8 pixels with values 0 … 16.
//!
//! The images are embedded (`data/digits.bin`, 117 KB, written once by `tools/make_fixtures.py
//! digits_data`): one record of 65 bytes each, the label, then the 64 pixels row by row.

use ndarray::{Array1, Array2};

use crate::error::{Result, ensure_param};
use crate::rng::TorchRng;

const DATA: &[u8] = include_bytes!("../data/digits.bin");
const RECORD: usize = 1 + PIXELS;
/// Pixels of one image, 8 × 8.
pub const PIXELS: usize = 64;

/// Every image of the data set, in load_digits's order.
#[derive(Clone, Debug)]
pub struct Digits {
    /// One row of 64 pixels (0 … 16, row by row) per image.
    pub pixels: Array2<u8>,
    /// The digit each image shows, 0 … 9.
    pub labels: Vec<u8>,
}

impl Digits {
    /// All 1,797 images.
    ///
    /// ```
    /// let d = gdlab::Digits::load();
    /// assert_eq!(d.pixels.dim(), (1797, 64));
    /// assert_eq!(d.labels[..10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    /// ```
    pub fn load() -> Self {
        let n = DATA.len() / RECORD;
        let labels = DATA.chunks_exact(RECORD).map(|r| r[0]).collect();
        let pixels: Vec<u8> = DATA.chunks_exact(RECORD).flat_map(|r| r[1..].iter().copied()).collect();
        let pixels = Array2::from_shape_vec((n, PIXELS), pixels).expect("the embedded file holds whole records");
        Digits { pixels, labels }
    }

    /// The images of digits `zero` and `one` only, as the classifier takes them: pixels divided
    /// by 16 (float32, as `torch.tensor(d.data / 16.0, dtype=torch.float32)`) and targets
    /// 1.0 for `one`, 0.0 for `zero`; in the data set's order.
    ///
    /// ```
    /// let (x, y) = gdlab::Digits::load().pair(3, 7)?;
    /// assert_eq!(x.dim(), (362, 64));
    /// assert_eq!(y.iter().filter(|&&t| t == 1.0).count(), 179); // sevens
    /// # Ok::<(), gdlab::GdlabError>(())
    /// ```
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a digit above 9, or the same digit twice.
    pub fn pair(&self, zero: u8, one: u8) -> Result<(Array2<f32>, Array1<f32>)> {
        ensure_param(zero <= 9, "zero", f64::from(zero), "a digit 0 … 9")?;
        ensure_param(one <= 9 && one != zero, "one", f64::from(one), "a digit 0 … 9 other than the first")?;
        let keep: Vec<usize> = (0..self.labels.len()).filter(|&i| [zero, one].contains(&self.labels[i])).collect();
        let x =
            Array2::from_shape_fn((keep.len(), PIXELS), |(r, c)| (f64::from(self.pixels[[keep[r], c]]) / 16.0) as f32);
        let y = keep.iter().map(|&i| if self.labels[i] == one { 1.0 } else { 0.0 }).collect();
        Ok((x, y))
    }
}

/// Which images train and which validate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Rows of the training set, in the permutation's order.
    pub train: Vec<usize>,
    /// Rows of the validation set: the permutation's first fifth.
    pub valid: Vec<usize>,
}

/// `perm = torch.randperm(n)`, `n_valid = n // 5`, `valid, train = perm[:n_valid], perm[n_valid:]`.
///
/// # Errors
/// As [`TorchRng::randperm`].
pub fn digits_split(rng: &mut TorchRng, n: usize) -> Result<Split> {
    let perm = rng.randperm(n)?;
    let (valid, train) = perm.split_at(n / 5);
    Ok(Split { train: train.to_vec(), valid: valid.to_vec() })
}

/// One `nn.Linear(inputs, outputs)`: `x @ weight.T + bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// `outputs × inputs`, as torch stores it.
    pub weight: Array2<f32>,
    /// One per output.
    pub bias: Array1<f32>,
}

impl Linear {
    /// `nn.Linear(inputs, outputs)`'s initial parameters, drawn from `rng` as torch draws them:
    /// the weight by `kaiming_uniform_(weight, a=sqrt(5))`, then the bias by
    /// `uniform_(-1/sqrt(inputs), 1/sqrt(inputs))`, each row by row.
    ///
    /// `kaiming_uniform_` takes gain = sqrt(2 / (1 + a²)) (leaky ReLU's), std = gain / sqrt(fan_in)
    /// and bound = sqrt(3) · std, all in Python floats; so bound ≈ 1/sqrt(inputs), but not to the
    /// bit, and the two bounds are computed each their own way here too.
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for 0 inputs or outputs.
    pub fn torch_init(rng: &mut TorchRng, inputs: usize, outputs: usize) -> Result<Self> {
        ensure_param(inputs > 0, "inputs", inputs as f64, "at least one input")?;
        ensure_param(outputs > 0, "outputs", outputs as f64, "at least one output")?;
        let fan_in = inputs as f64;
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt(); // torch.nn.init.calculate_gain("leaky_relu", a)
        let weight_bound = 3f64.sqrt() * (gain / fan_in.sqrt());
        let weight = Array2::from_shape_simple_fn((outputs, inputs), || rng.uniform_f32(-weight_bound, weight_bound));
        let bias_bound = 1.0 / fan_in.sqrt();
        let bias = Array1::from_shape_simple_fn(outputs, || rng.uniform_f32(-bias_bound, bias_bound));
        Ok(Linear { weight, bias })
    }
}

impl TorchRng {
    /// One draw of `tensor.uniform_(from, to)` for a float32 tensor on the CPU: the bounds
    /// rounded to float32, then `(u32 & 0xFFFFFF) · 2^-24 · (to − from) + from` in float32.
    pub fn uniform_f32(&mut self, from: f64, to: f64) -> f32 {
        use ndarray_rand::rand::RngCore;
        let (from, to) = (from as f32, to as f32);
        let x = (self.next_u32() & 0x00FF_FFFF) as f32 * (1.0 / (1u32 << 24) as f32);
        x * (to - from) + from
    }
}
