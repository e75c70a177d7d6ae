//! A check runs a student's function with its panic message silenced. That must not silence a
//! panic on another thread at the same moment (a parallel `cargo test` reports failures through
//! the hook). Its own test binary: it installs a counting hook before any check runs.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gdlab::prelude::*;

type Pair = (Array2<f64>, Array2<f64>);

fn panicking(_: &Array2<f64>, _: Option<&Array2<f64>>, _: &Array2<f64>, _: f64, _: f64, _: f64) -> Pair {
    panic!("not written yet")
}

#[test]
fn a_silenced_student_panic_hides_no_other_threads_panic() {
    let reported = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reported);
    std::panic::set_hook(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    // The first check installs gdlab's hook over this one (take_hook, then set_hook). Between
    // the two, std has the default hook in place, and there is no atomic swap on stable Rust
    // (`update_hook` is unstable): a panic elsewhere in that instant is printed by the default
    // hook rather than counted here. So install it first; the property is the steady state's.
    assert!(!check::ex_06_4(panicking, 314).is_right());
    let rounds = 200;
    let checker = std::thread::spawn(|| {
        for _ in 0..20 {
            assert!(!check::ex_06_4(panicking, 314).is_right());
        }
    });
    let panicker = std::thread::spawn(move || {
        for _ in 0..rounds {
            let _ = std::panic::catch_unwind(|| panic!("another test failing"));
        }
    });
    checker.join().unwrap();
    panicker.join().unwrap();
    // Every panic of the other thread reached the hook; none of the student's did.
    assert_eq!(reported.load(Ordering::SeqCst), rounds);
}
