//! Under grading a wrong answer shows as the cell's result `0` (nbgrader's partial credit,
//! read with the cell's reply) and the hint as HTML; a right one shows its line. Its own test
//! binary: the switch is process-wide, and the other exercise tests expect it off.
use gdlab::prelude::*;

/// The result nbgrader scores a failing grade cell by, and the hint the student sees.
fn graded_failure(verdict: &check::Verdict) -> bool {
    let shown = verdict.shown();
    shown.len() == 2
        && shown[0] == ("text/plain", "0".to_string())
        && shown[1].0 == "text/html"
        && shown[1].1.starts_with("<pre>✗ Exercise ")
        && shown[1].1.contains(": not yet. Hint: ")
}

#[test]
fn grading_shows_a_wrong_answer_as_zero_points_with_the_hint_and_a_right_one_as_its_line() {
    let right: f32 = (0.0 + 1.0 + 4.0 + 9.0) / 16.0; // the loss of X = I on diag(1, 2, 3, 4)
    assert!(!check::is_grading());
    let off = check::ex_01_1(&f32::NAN);
    assert!(!off.is_right() && !graded_failure(&off), "off: a hint, not a grade");
    assert_eq!(off.shown(), vec![("text/plain", off.to_string())]);

    check::grading(true);
    assert!(check::is_grading());
    let wrong = check::ex_01_1(&f32::NAN);
    assert!(wrong.to_string().starts_with("✗ Exercise 1.1: not yet. Hint: "), "{wrong}");
    assert!(graded_failure(&wrong), "{:?}", wrong.shown());
    let unanswered: f32 = check::unanswered();
    assert!(graded_failure(&check::ex_01_1(&unanswered)), "the code stub is never right");
    let ok = check::ex_01_1(&right);
    assert_eq!(ok.shown(), vec![("text/plain", "✓ Exercise 1.1".to_string())]);
    let step: check::StepFn = |_, _, _| check::unanswered();
    assert!(graded_failure(&check::ex_01_4(step)), "a function answer that returns the stub");

    check::grading(false);
    assert!(!graded_failure(&check::ex_01_1(&f32::NAN)));
}
