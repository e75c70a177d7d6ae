//! The tape's operations for a classifier, each against central differences (`gradcheck`) and
//! all together against torch's own gradients (`tools/torch_digits.py`, "digits" → "grads"):
//!
//! ```python
//! hidden = F.relu(x[rows] @ w.T + b)                       # IndexBackward0, TBackward0, MmBackward0,
//! logits = hidden.sum(1) * torch.tensor([1., -30., 40., 0.5])  # AddBackward0, ReluBackward0
//! loss = F.binary_cross_entropy_with_logits(logits, target); loss.backward()   # float64
//! ```
//!
//! Here `hidden.sum(1)` is `hidden @ ones(3, 1)`, which adds the same three numbers in another
//! order, and torch's CPU `exp` and `log1p` are vectorised and not correctly rounded: the
//! comparison is within 1e-12 relative, not bit for bit.
use gdlab::autograd::Tensor;
use gdlab::gradcheck::gradient_check;
use gdlab::prelude::*;
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/torch.json")).expect("fixtures/torch.json is valid JSON")
}

fn matrix(v: &Value, rows: usize, cols: usize) -> Array2<f64> {
    let values: Vec<f64> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    Array2::from_shape_vec((rows, cols), values).unwrap()
}

fn close(ours: &Array2<f64>, torch: &Array2<f64>, what: &str) {
    assert_eq!(ours.dim(), torch.dim(), "{what}");
    for (a, b) in ours.iter().zip(torch) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-3), "{what}: ours {a}, torch {b}");
    }
}

#[test]
fn a_relu_layer_on_a_batch_with_bce_gives_torchs_loss_and_gradients() {
    let fx = fixtures();
    let g = &fx["digits"]["grads"];
    let rows: Vec<usize> = g["rows"].as_array().unwrap().iter().map(|r| r.as_u64().unwrap() as usize).collect();
    let x = Tensor::leaf(matrix(&g["x"], 5, 4));
    let w = Tensor::leaf(matrix(&g["w"], 3, 4));
    let b = Tensor::leaf(matrix(&g["b"], 1, 3));
    let scale = Tensor::constant(array![[1.0], [-30.0], [40.0], [0.5]]);
    let hidden = x.rows(&rows).unwrap().matmul(&w.t()).unwrap().add_row(&b).unwrap().relu();
    let logits = (&hidden.matmul(&Tensor::constant(Array2::ones((3, 1)))).unwrap() * &scale).unwrap();
    let loss = logits.bce_with_logits(&matrix(&g["target"], 4, 1)).unwrap();
    loss.backward().unwrap();
    let want = g["loss"].as_f64().unwrap();
    assert!((loss.item().unwrap() - want).abs() <= 1e-12 * want, "loss {} vs torch {want}", loss.item().unwrap());
    close(&x.grad().unwrap(), &matrix(&g["grad_x"], 5, 4), "x.grad (row 1 unpicked: zeros; row 2 picked twice)");
    close(&w.grad().unwrap(), &matrix(&g["grad_w"], 3, 4), "w.grad");
    close(&b.grad().unwrap(), &matrix(&g["grad_b"], 1, 3), "b.grad");
    // Row 1 of x is in no batch: its gradient is exactly zero, as torch's.
    assert!(x.grad().unwrap().row(1).iter().all(|&v| v == 0.0));
    let tape = loss.tape();
    for name in
        ["BinaryCrossEntropyWithLogitsBackward0", "ReluBackward0", "AddBackward0", "TBackward0", "IndexBackward0"]
    {
        assert!(tape.contains(&name), "{name} in {tape:?}");
    }
}

/// A loss of the checked input, built on the tape.
type Loss = Box<dyn Fn(&Tensor<f64>) -> gdlab::Result<Tensor<f64>>>;

/// A point where no relu input sits at its kink and no logit is far from 0: differences are smooth there.
fn point() -> Array2<f64> {
    array![[0.3, -0.7, 1.1], [-0.4, 0.9, 0.2], [0.6, 0.15, -1.3], [-0.8, 0.5, 0.45]]
}

#[test]
fn each_new_operation_passes_gradcheck() {
    let t = array![[1.0], [0.0], [1.0], [0.0]];
    let w = Tensor::constant(array![[0.5, -0.2, 0.1], [0.3, 0.8, -0.6]]);
    let row = Tensor::constant(array![[0.05, -0.1]]);
    let checks: Vec<(&str, Loss)> = vec![
        ("t", Box::new(|x: &Tensor<f64>| Ok(x.t().pow(2).sum()))),
        (
            "add_row: the matrix",
            Box::new(move |x: &Tensor<f64>| Ok(x.add_row(&Tensor::constant(array![[0.1, -0.2, 0.3]]))?.pow(3).sum())),
        ),
        (
            "add_row: the row",
            Box::new(|x: &Tensor<f64>| Ok(Tensor::constant(point()).add_row(&x.rows(&[2])?)?.pow(3).sum())),
        ),
        ("relu", Box::new(|x: &Tensor<f64>| Ok(x.relu().pow(2).sum()))),
        ("rows, with a repeat", Box::new(|x: &Tensor<f64>| Ok(x.rows(&[3, 0, 3])?.pow(3).sum()))),
        (
            "bce_with_logits",
            Box::new(move |x: &Tensor<f64>| {
                x.matmul(&Tensor::constant(array![[0.7], [-1.2], [0.4]]))?.bce_with_logits(&t)
            }),
        ),
        (
            "a layer",
            Box::new(move |x: &Tensor<f64>| {
                let h = x.matmul(&w.t())?.add_row(&row)?.relu();
                h.matmul(&Tensor::constant(array![[1.5], [-2.0]]))?.bce_with_logits(&array![[1.0], [1.0], [0.0], [1.0]])
            }),
        ),
    ];
    for (what, loss) in checks {
        let check = gradient_check(loss, &point(), 1e-6).unwrap();
        assert!(check.max_relative_error() < 1e-7, "{what}: {}", check.max_relative_error());
        assert!(check.analytic.iter().any(|&g| g != 0.0), "{what}: a gradient that is all zeros checks nothing");
    }
}

#[test]
fn a_confident_logit_costs_its_margin_without_overflow() {
    // −log σ(x) for a seven (t = 1) at x = −1000: exp(1000) would overflow; the stable form gives 1000.
    let x = Tensor::leaf(array![[-1000.0f64], [1000.0]]);
    let loss = x.bce_with_logits(&array![[1.0], [1.0]]).unwrap();
    assert_eq!(loss.item().unwrap(), 500.0);
    loss.backward().unwrap();
    // σ(−1000) − 1 = −1, halved by the mean: a confident wrong answer pulls with full force.
    assert_eq!(x.grad().unwrap(), array![[-0.5], [0.0]]);
}

#[test]
fn wrong_shapes_and_rows_are_one_line_errors() {
    let x = Tensor::leaf(point());
    let e = x.add_row(&Tensor::constant(array![[1.0, 2.0]])).unwrap_err().to_string();
    assert!(e.contains("the row added to every row"), "{e}");
    let e = x.rows(&[0, 4]).unwrap_err().to_string();
    assert!(e.contains("row indices below the tensor's rows") && e.contains('4'), "{e}");
    let e = x.bce_with_logits(&array![[1.0]]).unwrap_err().to_string();
    assert!(e.contains("the targets"), "{e}");
}
