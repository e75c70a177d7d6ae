//! The checks of notebook 01, the matrix inverse by gradient descent.

use ndarray::{Array2, array};

use super::{Verdict, close, lesson_m, quietly, rectangular, same_matrix, start};
use crate::descent::gradient_step;
use crate::loss::{mse, mse_grad};

/// A student's function for exercise 1.4: one update of the loop, `step(x, m, lr)` → the next X.
pub type StepFn = fn(&Array2<f32>, &Array2<f32>, f64) -> Array2<f32>;

/// The learning rate that exercises 1.2 and 1.3 ask about: not the lesson's.
const LR: f64 = 0.1;

/// Exercise 1.1: the loss `mean((X·M − I)²)` at X = I, the identity (not the inverse), for the
/// lesson's M (within 1e-6).
pub fn ex_01_1(answer: &f32) -> Verdict {
    let hint = "put X = I into the loss: X·M − I is then M − I, and the loss is the mean of its squared entries";
    Verdict::judge("1.1", hint, || {
        let (m, eye) = (lesson_m(), Array2::<f32>::eye(4));
        Ok(close(f64::from(*answer), f64::from(mse(&eye, &eye.dot(&m))), 1e-6))
    })
}

/// The lesson's start from `seed`, its loss and its gradient, in float64 from the float32 values.
fn at_start(seed: u64) -> (f64, Array2<f64>) {
    let (m, y) = (lesson_m(), Array2::<f32>::eye(4));
    let x = start::<f32>(seed, (4, 4));
    (f64::from(mse(&y, &x.dot(&m))), mse_grad(&x, &m, &y).mapv(f64::from))
}

/// Exercise 1.2 (predict): the first-order prediction of the loss after one step at lr = 0.1
/// from the start of `seed`, `L₀ − lr·‖∇L‖²` (within 1e-4).
pub fn ex_01_2(answer: &f64, seed: u64) -> Verdict {
    let hint = "a small step −lr·g lowers the loss by about its length, lr·‖g‖, times the slope along it, ‖g‖: \
                lr·‖g‖², where ‖g‖² is the sum of the squares of g's entries";
    Verdict::judge("1.2", hint, || {
        let (loss, grad) = at_start(seed);
        Ok(close(*answer, loss - LR * grad.mapv(|g| g * g).sum(), 1e-4))
    })
}

/// Exercise 1.3 (measure): the loss after one step at lr = 0.1 from the start of `seed`, in
/// float32 (within 1e-5).
pub fn ex_01_3(answer: &f32, seed: u64) -> Verdict {
    let hint = "take the step, X − lr·g, then compute the loss of the new X: the second-order term is why it \
                differs from the prediction";
    Verdict::judge("1.3", hint, || {
        let (m, y) = (lesson_m(), Array2::<f32>::eye(4));
        let mut x = start::<f32>(seed, (4, 4));
        gradient_step(&mut x, &m, &y, LR)?;
        Ok(close(f64::from(*answer), f64::from(mse(&y, &x.dot(&m))), 1e-5))
    })
}

/// Exercise 1.4: `step(x, m, lr)`, one update of the loop for any M, tried on diag(2, 5), the
/// lesson's M, a dense 3×3 matrix and a 5×3 one (X then 3×5) against [`gradient_step`].
pub fn ex_01_4(step: StepFn) -> Verdict {
    let hint = "your step must do what the loop's gradient line and update do for any M: N is the number of \
                entries of X·M, the target is the identity of X·M's size, and lr is used as f32, as torch does";
    Verdict::judge("1.4", hint, || {
        let dense = array![[2.0f32, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0]];
        let cases = [
            (Array2::from_diag(&array![2.0f32, 5.0]), 1, 0.1),
            (Array2::from_diag(&array![2.0f32, 5.0]), 2, 0.2),
            (lesson_m(), 314, crate::descent::lesson_lr()),
            (dense, 3, 0.05),
            (rectangular().mapv(|v| v as f32), 4, 0.1),
        ];
        for (m, seed, lr) in cases {
            let k = m.ncols();
            let x = start::<f32>(seed, (k, m.nrows()));
            let mut want = x.clone();
            gradient_step(&mut want, &m, &Array2::eye(k), lr)?;
            let Some(got) = quietly(|| step(&x, &m, lr)) else { return Ok(false) };
            if !same_matrix(&got.mapv(f64::from), &want.mapv(f64::from), 1e-5) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
