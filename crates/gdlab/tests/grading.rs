//! Under grading a wrong answer is the check's `Err`, which a check cell's `?` turns into the
//! kernel's stderr output (what nbgrader scores as 0); a right one stays `Ok`. Its own test
//! binary: the switch is process-wide, and the other exercise tests expect it off.
use gdlab::prelude::*;

#[test]
fn grading_turns_a_wrong_answer_into_the_error_and_leaves_a_right_one_ok() {
    let right: f32 = (0.0 + 1.0 + 4.0 + 9.0) / 16.0; // the loss of X = I on diag(1, 2, 3, 4)
    assert!(!check::is_grading());
    assert!(check::ex_01_1(&f32::NAN).is_ok_and(|v| !v.is_right()), "off: a hint, not an error");

    check::grading(true);
    assert!(check::is_grading());
    let wrong = check::ex_01_1(&f32::NAN).expect_err("on: a wrong answer is the error");
    assert!(wrong.to_string().starts_with("✗ Exercise 1.1: not yet. Hint: "), "{wrong}");
    let unanswered: f32 = check::unanswered();
    assert!(check::ex_01_1(&unanswered).is_err(), "the code stub is never right");
    assert_eq!(check::ex_01_1(&right).map(|v| v.to_string()), Ok("✓ Exercise 1.1".to_string()));
    let step: check::StepFn = |_, _, _| check::unanswered();
    assert!(check::ex_01_4(step).is_err(), "a function answer that returns the stub");

    check::grading(false);
    assert!(check::ex_01_1(&f32::NAN).is_ok());
}
