//! Where `loss.backward()` comes from: a reverse-mode automatic differentiation over matrices,
//! small enough to read in one sitting.
//!
//! Every operation records its inputs; [`Tensor::backward`] walks that record (the *tape*)
//! from the loss back to the leaves, applying each operation's backward rule: a comment on each
//! forward states its rule, and one `match`, in `backward_rule`, computes them all. The
//! arithmetic is done in the order torch's autograd does it, so the lesson's `X.grad` is torch's
//! bit for bit on a diagonal M.
//!
//! ```
//! use gdlab::autograd::{Tensor, mse_t};
//! use gdlab::prelude::*;
//!
//! // X = torch.rand(4, 4, requires_grad=True); loss = mse(Y_true, X @ M1234); loss.backward()
//! let m = Tensor::constant(Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]));
//! let x = Tensor::leaf(TorchRng::manual_seed(314).rand((4, 4)));
//! let loss = mse_t(&Tensor::constant(Array2::eye(4)), &x.matmul(&m)?)?;
//! loss.backward()?;
//! assert_eq!(x.grad().unwrap(), mse_grad(&x.value(), &m.value(), &Array2::eye(4)));
//! # Ok::<(), gdlab::GdlabError>(())
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use ndarray::Array2;

use crate::error::{GdlabError, Result, ensure_param, ensure_shape};
use crate::real::Real;

/// A matrix in a computation graph. Cloning it clones the handle, not the node.
#[derive(Clone)]
pub struct Tensor<T: Real>(Rc<Node<T>>);

impl<T: Real> std::fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let grad = if self.requires_grad() { self.name() } else { "constant" };
        write!(f, "Tensor({:?}, {grad})", self.0.value.borrow().dim())
    }
}

struct Node<T: Real> {
    value: RefCell<Array2<T>>,
    /// Only leaves that require a gradient keep one, as in torch, and nodes asked to retain it.
    grad: RefCell<Option<Array2<T>>>,
    retains_grad: Cell<bool>,
    requires_grad: bool,
    op: Op<T>,
}

/// How a tensor was made: its inputs, for the backward pass.
enum Op<T: Real> {
    Leaf,
    MatMul(Tensor<T>, Tensor<T>),
    Add(Tensor<T>, Tensor<T>),
    Sub(Tensor<T>, Tensor<T>),
    Mul(Tensor<T>, Tensor<T>),
    Scale(Tensor<T>, T),
    Pow(Tensor<T>, i32),
    Mean(Tensor<T>),
    Sum(Tensor<T>),
    T(Tensor<T>),
    AddRow(Tensor<T>, Tensor<T>),
    Relu(Tensor<T>),
    Rows(Tensor<T>, Vec<usize>),
    BceWithLogits(Tensor<T>, Array2<T>),
}

impl<T: Real> Tensor<T> {
    fn new(value: Array2<T>, op: Op<T>) -> Self {
        let requires_grad = match &op {
            Op::Leaf => false,
            Op::MatMul(a, b) | Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::AddRow(a, b) => {
                a.requires_grad() || b.requires_grad()
            }
            Op::Scale(a, _) | Op::Pow(a, _) | Op::Mean(a) | Op::Sum(a) => a.requires_grad(),
            Op::T(a) | Op::Relu(a) | Op::Rows(a, _) | Op::BceWithLogits(a, _) => a.requires_grad(),
        };
        Tensor(Rc::new(Node {
            value: RefCell::new(value),
            grad: RefCell::new(None),
            retains_grad: Cell::new(false),
            requires_grad,
            op,
        }))
    }

    /// A leaf that requires a gradient: `torch.tensor(…, requires_grad=True)`.
    pub fn leaf(value: Array2<T>) -> Self {
        Tensor(Rc::new(Node {
            value: RefCell::new(value),
            grad: RefCell::new(None),
            retains_grad: Cell::new(false),
            requires_grad: true,
            op: Op::Leaf,
        }))
    }

    /// A constant: no gradient flows into it.
    pub fn constant(value: Array2<T>) -> Self {
        Tensor::new(value, Op::Leaf)
    }

    /// Its value (a copy).
    pub fn value(&self) -> Array2<T> {
        self.0.value.borrow().clone()
    }

    /// The value of a 1×1 tensor, like torch's `.item()`.
    ///
    /// # Errors
    /// [`GdlabError::NotScalar`] for any other shape.
    pub fn item(&self) -> Result<T> {
        let v = self.0.value.borrow();
        if v.dim() != (1, 1) {
            return Err(GdlabError::NotScalar { what: "item()", shape: v.dim() });
        }
        Ok(v[[0, 0]])
    }

    /// Whether gradients flow back through it.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// `.retain_grad()`: this intermediate result keeps the gradient that backward passes
    /// through it, so that `grad()` shows it (a leaf always keeps its own).
    pub fn retain_grad(&self) {
        self.0.retains_grad.set(true);
    }

    /// `.grad`: `None` until a backward pass has reached this leaf (or a node that retains it).
    pub fn grad(&self) -> Option<Array2<T>> {
        self.0.grad.borrow().clone()
    }

    /// `.grad.zero_()` (torch sets it to `None`, as here): the next backward starts afresh.
    pub fn zero_grad(&self) {
        *self.0.grad.borrow_mut() = None;
    }

    /// `with torch.no_grad(): x.sub_(delta)`: changes a leaf's value outside the graph.
    ///
    /// # Errors
    /// [`GdlabError::ShapeMismatch`] if `delta` has another shape.
    pub fn sub_(&self, delta: &Array2<T>) -> Result<()> {
        let mut v = self.0.value.borrow_mut();
        ensure_shape("the update (it must have the tensor's shape)", v.dim(), delta.shape())?;
        *v -= delta;
        Ok(())
    }

    /// `a @ b`. Backward (MmBackward0): `grad · bᵀ` into a, `aᵀ · grad` into b.
    ///
    /// # Errors
    /// [`GdlabError::ShapeMismatch`] unless a's columns equal b's rows.
    pub fn matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let (a, b) = (self.0.value.borrow(), other.0.value.borrow());
        ensure_shape(
            "the right factor of @ (its rows must equal the left's columns)",
            (a.ncols(), b.ncols()),
            b.shape(),
        )?;
        let value = a.dot(&*b);
        Ok(Tensor::new(value, Op::MatMul(self.clone(), other.clone())))
    }

    /// `k · a` for a number k. Backward (MulBackward0): `k · grad`.
    pub fn scale(&self, k: T) -> Tensor<T> {
        let value = self.0.value.borrow().mapv(|v| v * k);
        Tensor::new(value, Op::Scale(self.clone(), k))
    }

    /// `a ** k` elementwise. Backward (PowBackward0): `grad · (k · a^(k−1))`.
    pub fn pow(&self, k: i32) -> Tensor<T> {
        let value = self.0.value.borrow().mapv(|v| v.powi(k));
        Tensor::new(value, Op::Pow(self.clone(), k))
    }

    /// `a.mean()`, a 1×1 tensor. Backward (MeanBackward0): `grad / N`, expanded to a's shape.
    pub fn mean(&self) -> Tensor<T> {
        let v = self.0.value.borrow();
        let n = T::from_f64_lossy(v.len() as f64);
        let value = Array2::from_elem((1, 1), crate::loss::torch_sum(v.iter().copied()) / n);
        drop(v);
        Tensor::new(value, Op::Mean(self.clone()))
    }

    /// `a.sum()`, a 1×1 tensor. Backward (SumBackward0): `grad`, expanded to a's shape.
    pub fn sum(&self) -> Tensor<T> {
        let value = Array2::from_elem((1, 1), crate::loss::torch_sum(self.0.value.borrow().iter().copied()));
        Tensor::new(value, Op::Sum(self.clone()))
    }

    /// `a.t()`, the transpose (so that `x @ w.t()` is `nn.Linear`). Backward (TBackward0): `gradᵀ`.
    pub fn t(&self) -> Tensor<T> {
        let value = self.0.value.borrow().t().to_owned();
        Tensor::new(value, Op::T(self.clone()))
    }

    /// `a + row`, the 1×k row added to each of a's rows (torch broadcasts a bias so).
    /// Backward (AddBackward0): `grad` into a, and into the row `grad` summed over the rows it was added to.
    ///
    /// # Errors
    /// [`GdlabError::ShapeMismatch`] unless `row` is 1 × a's columns.
    pub fn add_row(&self, row: &Tensor<T>) -> Result<Tensor<T>> {
        let (a, r) = (self.0.value.borrow(), row.0.value.borrow());
        ensure_shape("the row added to every row (1 × the columns)", (1, a.ncols()), r.shape())?;
        let value = &*a + &*r;
        Ok(Tensor::new(value, Op::AddRow(self.clone(), row.clone())))
    }

    /// `relu(a)`, `max(a, 0)` elementwise. Backward (ReluBackward0): `grad` where the result is
    /// positive, 0 elsewhere (at 0 itself too, as torch takes it).
    pub fn relu(&self) -> Tensor<T> {
        let value = self.0.value.borrow().mapv(|v| if v > T::zero() { v } else { T::zero() });
        Tensor::new(value, Op::Relu(self.clone()))
    }

    /// `a[rows]`, the rows picked by index (a minibatch), repeats allowed.
    /// Backward (IndexBackward0): zeros of a's shape, with each picked row's gradient added back into its row.
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`] for an index past a's rows.
    pub fn rows(&self, rows: &[usize]) -> Result<Tensor<T>> {
        let a = self.0.value.borrow();
        let last = rows.iter().copied().max().unwrap_or(0);
        ensure_param(rows.iter().all(|&r| r < a.nrows()), "rows", last as f64, "row indices below the tensor's rows")?;
        let value = a.select(ndarray::Axis(0), rows);
        Ok(Tensor::new(value, Op::Rows(self.clone(), rows.to_vec())))
    }

    /// `F.binary_cross_entropy_with_logits(a, target)`, the mean over every entry, a 1×1 tensor,
    /// in torch's stable form: `(1 − t)·x − log σ(x)` with `log σ(x) = min(x, 0) − log1p(e^(−|x|))`,
    /// so that no `exp` overflows for a confident logit.
    /// Backward (BinaryCrossEntropyWithLogitsBackward0): `(σ(x) − t) · grad / N`.
    ///
    /// # Errors
    /// [`GdlabError::ShapeMismatch`] unless `target` has a's shape.
    pub fn bce_with_logits(&self, target: &Array2<T>) -> Result<Tensor<T>> {
        let x = self.0.value.borrow();
        ensure_shape("the targets (one per logit)", x.dim(), target.shape())?;
        let log_sigmoid = |v: T| v.min(T::zero()) - (-v.abs()).exp().ln_1p();
        let losses = ndarray::Zip::from(&*x).and(target).map_collect(|&v, &t| (T::one() - t) * v - log_sigmoid(v));
        let n = T::from_f64_lossy(losses.len() as f64);
        let value = Array2::from_elem((1, 1), crate::loss::torch_sum(losses.iter().copied()) / n);
        drop(x);
        Ok(Tensor::new(value, Op::BceWithLogits(self.clone(), target.clone())))
    }

    /// The incoming gradient of this node, split into its inputs' (each backward rule).
    fn backward_rule(&self, grad: &Array2<T>) -> Vec<(Tensor<T>, Array2<T>)> {
        match &self.0.op {
            Op::Leaf => vec![],
            Op::MatMul(a, b) => {
                let (av, bv) = (a.0.value.borrow(), b.0.value.borrow());
                vec![(a.clone(), grad.dot(&bv.t())), (b.clone(), av.t().dot(grad))]
            }
            Op::Add(a, b) => vec![(a.clone(), grad.clone()), (b.clone(), grad.clone())],
            Op::Sub(a, b) => vec![(a.clone(), grad.clone()), (b.clone(), grad.mapv(|g| -g))],
            Op::Mul(a, b) => {
                let (av, bv) = (a.0.value.borrow(), b.0.value.borrow());
                vec![(a.clone(), grad * &*bv), (b.clone(), grad * &*av)]
            }
            Op::Scale(a, k) => vec![(a.clone(), grad.mapv(|g| g * *k))],
            Op::Pow(a, k) => {
                let kk = T::from_f64_lossy(f64::from(*k));
                let local = a.0.value.borrow().mapv(|v| kk * v.powi(k - 1));
                vec![(a.clone(), grad * &local)]
            }
            Op::Mean(a) => {
                let shape = a.0.value.borrow().dim();
                let n = T::from_f64_lossy((shape.0 * shape.1) as f64);
                vec![(a.clone(), Array2::from_elem(shape, grad[[0, 0]] / n))]
            }
            Op::Sum(a) => vec![(a.clone(), Array2::from_elem(a.0.value.borrow().dim(), grad[[0, 0]]))],
            Op::T(a) => vec![(a.clone(), grad.t().to_owned())],
            Op::AddRow(a, row) => vec![
                (a.clone(), grad.clone()),
                (row.clone(), grad.sum_axis(ndarray::Axis(0)).insert_axis(ndarray::Axis(0))),
            ],
            Op::Relu(a) => vec![(
                a.clone(),
                ndarray::Zip::from(grad)
                    .and(&*self.0.value.borrow())
                    .map_collect(|&g, &y| if y > T::zero() { g } else { T::zero() }),
            )],
            Op::Rows(a, rows) => {
                let mut into = Array2::zeros(a.0.value.borrow().dim());
                for (k, &r) in rows.iter().enumerate() {
                    let mut row = into.row_mut(r);
                    row += &grad.row(k);
                }
                vec![(a.clone(), into)]
            }
            Op::BceWithLogits(a, target) => {
                let x = a.0.value.borrow();
                let n = T::from_f64_lossy(x.len() as f64);
                let sigmoid = |v: T| T::one() / (T::one() + (-v).exp());
                let g = grad[[0, 0]];
                vec![(a.clone(), ndarray::Zip::from(&*x).and(target).map_collect(|&v, &t| (sigmoid(v) - t) * g / n))]
            }
        }
    }

    /// What backward visits, in order: each node's backward rule, named as torch names them
    /// (`MeanBackward0`, `PowBackward0`, `SubBackward0`, `MmBackward0`, …; torch numbers an
    /// operation's overloads, and these are all overload 0), and `AccumulateGrad` where a
    /// gradient lands in a leaf.
    pub fn tape(&self) -> Vec<&'static str> {
        self.order().iter().map(|t| t.name()).filter(|n| !n.is_empty()).collect()
    }

    fn name(&self) -> &'static str {
        match (&self.0.op, self.requires_grad()) {
            (Op::Leaf, true) => "AccumulateGrad",
            (Op::Leaf, false) => "",
            (Op::MatMul(..), _) => "MmBackward0",
            (Op::Add(..), _) => "AddBackward0",
            (Op::Sub(..), _) => "SubBackward0",
            (Op::Mul(..) | Op::Scale(..), _) => "MulBackward0",
            (Op::Pow(..), _) => "PowBackward0",
            (Op::Mean(..), _) => "MeanBackward0",
            (Op::Sum(..), _) => "SumBackward0",
            (Op::T(..), _) => "TBackward0",
            (Op::AddRow(..), _) => "AddBackward0",
            (Op::Relu(..), _) => "ReluBackward0",
            (Op::Rows(..), _) => "IndexBackward0",
            (Op::BceWithLogits(..), _) => "BinaryCrossEntropyWithLogitsBackward0",
        }
    }

    /// The nodes that need a gradient, each after every node that uses it (reverse topological order).
    fn order(&self) -> Vec<Tensor<T>> {
        fn visit<T: Real>(t: &Tensor<T>, seen: &mut Vec<*const Node<T>>, out: &mut Vec<Tensor<T>>) {
            let id = Rc::as_ptr(&t.0);
            if !t.requires_grad() || seen.contains(&id) {
                return;
            }
            seen.push(id);
            match &t.0.op {
                Op::Leaf => {}
                Op::MatMul(a, b) | Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::AddRow(a, b) => {
                    visit(a, seen, out);
                    visit(b, seen, out);
                }
                Op::Scale(a, _) | Op::Pow(a, _) | Op::Mean(a) | Op::Sum(a) => visit(a, seen, out),
                Op::T(a) | Op::Relu(a) | Op::Rows(a, _) | Op::BceWithLogits(a, _) => visit(a, seen, out),
            }
            out.push(t.clone());
        }
        let mut out = Vec::new();
        visit(self, &mut Vec::new(), &mut out);
        out.reverse();
        out
    }

    /// `loss.backward()`: the gradient of this 1×1 tensor with respect to every leaf that
    /// requires one, **added** into the leaf's `.grad` (torch's semantics: call
    /// [`zero_grad`](Self::zero_grad) between steps). A tensor used twice gets the sum of both paths.
    ///
    /// # Errors
    /// [`GdlabError::NotScalar`] unless this tensor is 1×1.
    pub fn backward(&self) -> Result<()> {
        let shape = self.0.value.borrow().dim();
        if shape != (1, 1) {
            return Err(GdlabError::NotScalar { what: "backward()", shape });
        }
        let mut pending: HashMap<*const Node<T>, Array2<T>> = HashMap::new();
        pending.insert(Rc::as_ptr(&self.0), Array2::ones((1, 1)));
        for node in self.order() {
            let Some(grad) = pending.remove(&Rc::as_ptr(&node.0)) else { continue };
            if matches!(node.0.op, Op::Leaf) || node.0.retains_grad.get() {
                let mut slot = node.0.grad.borrow_mut();
                *slot = Some(match slot.take() {
                    Some(old) => old + &grad,
                    None => grad.clone(),
                });
            }
            for (input, g) in node.backward_rule(&grad) {
                if input.requires_grad() {
                    let entry = pending.entry(Rc::as_ptr(&input.0));
                    entry.and_modify(|sum| *sum += &g).or_insert(g);
                }
            }
        }
        Ok(())
    }
}

fn same_shape<T: Real>(a: &Tensor<T>, b: &Tensor<T>, what: &'static str) -> Result<()> {
    ensure_shape(what, a.0.value.borrow().dim(), b.0.value.borrow().shape())
}

macro_rules! elementwise {
    ($trait:ident, $method:ident, $op:ident, $what:literal, |$x:ident, $y:ident| $body:expr) => {
        impl<T: Real> std::ops::$trait<&Tensor<T>> for &Tensor<T> {
            type Output = Result<Tensor<T>>;

            fn $method(self, other: &Tensor<T>) -> Result<Tensor<T>> {
                same_shape(self, other, $what)?;
                let value = {
                    let ($x, $y) = (self.0.value.borrow(), other.0.value.borrow());
                    $body
                };
                Ok(Tensor::new(value, Op::$op(self.clone(), other.clone())))
            }
        }
    };
}
// a + b, a − b, a * b elementwise. Backward: AddBackward0 passes `grad` to both, SubBackward0
// `grad` and `−grad`, MulBackward0 `grad · b` into a and `grad · a` into b.
elementwise!(Add, add, Add, "the right operand of + (it must match the left)", |a, b| &*a + &*b);
elementwise!(Sub, sub, Sub, "the right operand of − (it must match the left)", |a, b| &*a - &*b);
elementwise!(Mul, mul, Mul, "the right operand of * (it must match the left)", |a, b| &*a * &*b);

/// The lesson's loss on the tape, `((y − y_hat) ** 2).mean()`, as the original writes it.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`] unless the shapes match.
pub fn mse_t<T: Real>(y: &Tensor<T>, y_hat: &Tensor<T>) -> Result<Tensor<T>> {
    Ok((y - y_hat)?.pow(2).mean())
}
