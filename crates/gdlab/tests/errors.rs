//! Every error case: a typed error whose message names the problem and the expected value.

use gdlab::prelude::*;
use gdlab::{Report, try_mse, try_mse_grad};

fn m1234() -> Array2<f32> {
    Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0])
}

#[test]
fn a_non_square_matrix_has_no_inverse_an_error_naming_it_by_what_it_is_for() {
    let m = Array2::<f32>::ones((2, 3));
    let err = inverse(&m).unwrap_err();
    assert!(matches!(err, GdlabError::NotSquare { shape: (2, 3), .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the matrix to invert must be square, got shape (2, 3): only a square matrix has an inverse (pinv gives a pseudo-inverse)"
    );
    let err = stability_bound(&m).unwrap_err();
    assert!(matches!(err, GdlabError::NotSquare { what: "M", .. }), "{err:?}");
    assert!(err.to_string().contains("side_bound"), "{err}");
    assert!(matches!(predicted_rates(&m, 0.1), Err(GdlabError::NotSquare { .. })));
    // Descent takes it (a right inverse), but its start must be n×m.
    let err = InverseDescent::new(&m).start(&Array2::zeros((2, 3))).run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "shape mismatch for the start X (it must be n×m for an m×n M): expected (3, 2), got (2, 3)"
    );
    let err = InverseDescent::new(&m).side(Side::Left).target(&Array2::eye(2)).run().unwrap_err();
    assert!(err.to_string().contains("expected (3, 3), got (2, 2)"), "{err}");
    assert!(matches!(InverseDescent::new(&Array2::<f32>::zeros((0, 3))).run(), Err(GdlabError::Empty { .. })));
}

#[test]
fn x_of_the_wrong_shape_is_a_shape_mismatch() {
    let mut x = Array2::<f32>::zeros((4, 3));
    let err = gradient_step(&mut x, &m1234(), &Array2::eye(4), 0.1).unwrap_err();
    assert_eq!(err.to_string(), "shape mismatch for X (its columns must equal M's rows): expected (4, 4), got (4, 3)");
    let err = InverseDescent::new(&m1234()).start(&Array2::zeros((3, 3))).run().unwrap_err();
    assert!(err.to_string().contains("start X"), "{err}");
    let err = InverseDescent::new(&m1234()).target(&Array2::eye(3)).run().unwrap_err();
    assert!(err.to_string().contains("expected (4, 4), got (3, 3)"), "{err}");
    let y = Array2::<f32>::eye(3);
    assert!(matches!(try_mse(&y, &Array2::eye(4)), Err(GdlabError::ShapeMismatch { .. })));
    assert!(matches!(try_mse_grad(&Array2::eye(4), &m1234(), &y), Err(GdlabError::ShapeMismatch { .. })));
}

#[test]
#[should_panic(expected = "mse: shape mismatch for y_hat (it must match y): expected (3, 3), got (4, 4)")]
fn mse_panics_with_a_clear_message() {
    mse(&Array2::<f32>::eye(3), &Array2::eye(4));
}

#[test]
fn empty_matrices_are_rejected() {
    let empty = Array2::<f64>::zeros((0, 0));
    let err = inverse(&empty).unwrap_err();
    assert!(matches!(err, GdlabError::Empty { what: "the matrix to invert", shape: (0, 0) }), "{err:?}");
    assert!(err.to_string().contains("expected at least one row and one column"));
    assert!(matches!(InverseDescent::new(&empty).run(), Err(GdlabError::Empty { .. })));
    assert!(matches!(try_mse(&empty, &empty), Err(GdlabError::Empty { .. })));
    let mut rng = TorchRng::manual_seed(0);
    assert!(matches!(indicator_matrix(&mut rng, 0, 3, 0.2), Err(GdlabError::Empty { .. })));
    assert!(matches!(density(&Array2::<i32>::zeros((0, 2))), Err(GdlabError::Empty { .. })));
}

#[test]
fn learning_rates_must_be_finite_and_positive() {
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut x = Array2::<f32>::zeros((4, 4));
        let err = gradient_step(&mut x, &m1234(), &Array2::eye(4), lr).unwrap_err();
        assert!(matches!(err, GdlabError::InvalidLearningRate { step: None, .. }), "{lr}: {err:?}");
        assert!(err.to_string().contains("expected a finite number > 0"));
        assert_eq!(x, Array2::<f32>::zeros((4, 4)), "a rejected step must not touch X");
    }
    let err = InverseDescent::new(&m1234()).lr(vec![0.1, 0.2, -0.5]).run().unwrap_err();
    assert!(matches!(err, GdlabError::InvalidLearningRate { lr: -0.5, step: Some(2) }), "{err:?}");
    assert_eq!(err.to_string(), "invalid learning rate -0.5 at schedule index 2: expected a finite number > 0");
}

#[test]
fn probabilities_outside_0_1_are_rejected() {
    let mut rng = TorchRng::manual_seed(123);
    for p in [-0.1, 1.5, f64::NAN] {
        let err = indicator_matrix(&mut rng, 17, 3, p).unwrap_err();
        assert!(matches!(err, GdlabError::InvalidProbability { .. }), "{p}");
        assert!(err.to_string().contains("expected 0 <= p <= 1"));
    }
    assert_eq!(indicator_matrix(&mut rng, 4, 4, 0.0).unwrap().sum(), 0);
    assert_eq!(indicator_matrix(&mut rng, 4, 4, 1.0).unwrap().sum(), 16);
}

#[test]
fn singular_matrices_have_no_inverse() {
    let m = array![[1.0f64, 2.0], [2.0, 4.0]];
    let err = inverse(&m).unwrap_err();
    assert!(matches!(err, GdlabError::Singular { shape: (2, 2) }), "{err:?}");
    assert!(err.to_string().contains("singular"));
    assert!(inverse(&Array2::<f32>::zeros((3, 3))).is_err());
    assert!(condition_number(&m).unwrap() > 1e15);
}

#[test]
fn other_parameters_are_checked_before_the_run() {
    let err = InverseDescent::new(&m1234()).steps(0).run().unwrap_err();
    assert!(matches!(err, GdlabError::InvalidParameter { name: "steps", .. }), "{err:?}");
    let err = InverseDescent::new(&m1234()).record_every(0).run().unwrap_err();
    assert_eq!(err.to_string(), "invalid record_every = 0: expected at least 1");
}

#[test]
fn divergence_reports_the_step_and_the_stability_bound() {
    // The bound for diag(1, 2, 3, 4) is 16 / 4² = 1; 1.2 is above it.
    let err = InverseDescent::new(&m1234()).seed(314).lr(1.2).steps(500).run().unwrap_err();
    let GdlabError::Diverged { step, lr, bound, ref losses, .. } = err else { panic!("{err:?}") };
    assert_eq!(bound, 1.0);
    assert_eq!(lr, 1.2);
    let step = step.expect("a run knows its step");
    assert_eq!(losses.len(), step + 1);
    assert!(losses[step] > losses[0], "the loss grew");
    let msg = err.to_string();
    assert!(msg.contains(&format!("diverged at step {step}")), "{msg}");
    assert!(msg.contains("exceeds the stability bound lr < N/λ_max(MᵀM) = 1.000000"), "{msg}");
    // The loss as a reader writes it: 4 significant digits and no exponent (here about 1e3).
    let printed = msg.split("(loss = ").nth(1).and_then(|rest| rest.split(')').next()).expect("the loss is named");
    let digits = printed.chars().filter(char::is_ascii_digit).count();
    assert!(!printed.contains('e') && digits == 4, "{msg}");
    let loss = losses[step];
    assert!((printed.parse::<f64>().unwrap() - loss).abs() < 5e-4 * loss, "{printed} for {loss}");

    // Far above the bound the loss overflows to infinity in f32.
    let err = InverseDescent::new(&m1234()).seed(314).lr(100.0).steps(500).divergence_patience(None).run().unwrap_err();
    let GdlabError::Diverged { loss, .. } = err else { panic!("{err:?}") };
    assert!(!loss.is_finite());
}

#[test]
fn a_missing_data_frame_column_is_named() {
    let m = m1234();
    let history = InverseDescent::new(&m).seed(314).steps(5).run().unwrap();
    let err = frame_line(&losses_frame(&history.losses), "loss").unwrap_err();
    assert_eq!(err.to_string(), "data frame: no column \"loss\": expected one of [\"step\", \"losses\"]");
}

#[test]
fn unwritable_paths_are_io_errors_that_keep_their_source() {
    use std::error::Error;
    let fig = diff_heatmap(&Array2::<f32>::eye(2));
    let err = fig.write_html("/nonexistent-dir/x.html").unwrap_err();
    assert!(matches!(err, GdlabError::Io { .. }) && err.to_string().contains("/nonexistent-dir/x.html"));
    let source = err.source().expect("the io::Error is kept");
    let io = source.downcast_ref::<std::io::Error>().expect("an io::Error");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_non_numeric_column_keeps_the_polars_error() {
    use std::error::Error;
    let df = DataFrame::new(1, vec![Column::new("step".into(), [0u32]), Column::new("name".into(), ["a"])]).unwrap();
    let err = frame_line(&df, "name").unwrap_err();
    assert!(matches!(err, GdlabError::Frame(_)), "{err:?}");
    assert!(err.source().is_some(), "the PolarsError is the source");
}

#[test]
fn a_gradient_step_with_a_non_finite_loss_is_a_divergence_error() {
    let m = m1234();
    let mut x = Array2::<f32>::from_elem((4, 4), f32::MAX);
    let err = gradient_step(&mut x, &m, &Array2::eye(4), 0.5).unwrap_err();
    let GdlabError::Diverged { step: None, loss, lr, bound, .. } = err else { panic!("{err:?}") };
    assert!(loss.is_infinite());
    assert_eq!((lr, bound), (0.5, 1.0));
    assert_eq!(x, Array2::from_elem((4, 4), f32::MAX), "X is left as it was");
    assert_eq!(
        err.to_string(),
        "gradient descent diverged (loss = inf): the learning rate 0.5 is within the stability bound 1.000000, so the numbers overflowed"
    );
    // A user's loop above the bound: the loss grows until it overflows, then the step fails.
    let mut x: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
    let failed = (0..1000).map(|_| gradient_step(&mut x, &m, &Array2::eye(4), 3.0)).find_map(Result::err);
    assert!(matches!(failed, Some(GdlabError::Diverged { lr: 3.0, bound: 1.0, .. })), "{failed:?}");
}

#[test]
fn figures_get_distinct_ids_and_plotly_js_goes_into_pages() {
    let fig = diff_heatmap(&Array2::<f32>::eye(2));
    let (a, b) = (fig.to_html_fragment(), fig.to_html_fragment());
    let id = |h: &str| h.split('"').nth(1).unwrap().to_string();
    assert_ne!(id(&a), id(&b));
    let page = Report::new("t").figure(fig.clone()).figure(fig).to_html();
    assert_eq!(page.matches("window.Plotly = Plotly").count(), 1, "plotly.js once per page");
    assert!(!page.contains("<script src="), "no external scripts");
    // plotly.js is 4.7 MB; with the MathJax bundle the plotly crate also carries, 6.8 MB.
    assert!(page.len() < 5_500_000, "page is {} bytes: MathJax must be left out", page.len());
}

#[test]
fn a_title_cannot_end_the_script_element_early() {
    let mut fig = diff_heatmap(&Array2::<f32>::eye(2));
    let layout = fig.plot().layout().clone().title("</script><b>x</b>");
    fig.plot_mut().set_layout(layout);
    let html = fig.to_html_fragment();
    assert_eq!(html.matches("</script>").count(), 1, "{html}");
    assert!(html.contains("height:340px"), "our height, not 100%: {html}");
}
