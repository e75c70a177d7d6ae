//! Runs as polars data frames, the original's `pd.DataFrame`s.

use polars::prelude::{Column, DataFrame, DataType};

use crate::comparison::RaceResult;
use crate::convergence::ConditioningCase;
use crate::descent::InverseDescent;
use crate::error::{GdlabError, Result};
use crate::real::Real;

/// Losses as a polars DataFrame with columns `step` and `losses`, like the original's
/// `pd.DataFrame({'losses': ...})`: e.g. the `losses` of a loop, or [`History::losses`](crate::History::losses).
pub fn losses_frame<T: Real>(losses: &[T]) -> DataFrame {
    let steps: Vec<u32> = (0..losses.len() as u32).collect();
    let losses: Vec<f64> = losses.iter().map(|l| l.as_f64()).collect();
    let height = steps.len();
    DataFrame::new(height, vec![Column::new("step".into(), steps), Column::new("losses".into(), losses)])
        .expect("two columns of equal length")
}

pub(crate) fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let column = df.column(name).map_err(|_| GdlabError::MissingColumn {
        name: name.to_string(),
        available: df.get_column_names().iter().map(|n| n.to_string()).collect(),
    })?;
    let values = column.strict_cast(&DataType::Float64)?;
    Ok(values.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// The loss curves of one run per seed, as a DataFrame: `step`, then one column per seed
/// named `seed S`.
///
/// # Errors
/// As [`InverseDescent::run`].
pub fn seed_losses_frame<T: Real>(descent: &InverseDescent<T>, seeds: &[u64]) -> Result<DataFrame> {
    let mut columns = Vec::with_capacity(seeds.len() + 1);
    let mut height = 0;
    for &seed in seeds {
        let h = descent.clone().seed(seed).run()?;
        height = h.losses.len();
        let losses: Vec<f64> = h.losses.iter().map(|l| l.as_f64()).collect();
        columns.push(Column::new(format!("seed {seed}").into(), losses));
    }
    columns.insert(0, Column::new("step".into(), (0..height as u32).collect::<Vec<u32>>()));
    Ok(DataFrame::new(height, columns)?)
}

/// A conditioning study as a DataFrame, one row per matrix (missing steps are null).
///
/// # Errors
/// [`GdlabError::Frame`](crate::GdlabError::Frame) only if polars rejects the columns.
pub fn conditioning_frame(cases: &[ConditioningCase]) -> Result<DataFrame> {
    let col = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
    let df = DataFrame::new(
        cases.len(),
        vec![
            Column::new("matrix".into(), cases.iter().map(|c| c.name.clone()).collect::<Vec<_>>()),
            col("condition", cases.iter().map(|c| c.condition).collect()),
            col("lr", cases.iter().map(|c| c.lr).collect()),
            Column::new("steps".into(), cases.iter().map(|c| c.steps.map(|s| s as u64)).collect::<Vec<_>>()),
            Column::new(
                "predicted".into(),
                cases.iter().map(|c| c.predicted_steps.map(|s| s as u64)).collect::<Vec<_>>(),
            ),
            col("max |X − inverse|", cases.iter().map(|c| c.max_error_vs_inverse).collect()),
        ],
    )?;
    Ok(df)
}

/// A race as a DataFrame: `optimizer`, `lr`, `steps` (null where the tolerance was not reached).
///
/// # Errors
/// [`GdlabError::Frame`](crate::GdlabError::Frame) only if polars rejects the columns.
pub fn race_frame(results: &[RaceResult]) -> Result<DataFrame> {
    Ok(DataFrame::new(
        results.len(),
        vec![
            Column::new("optimizer".into(), results.iter().map(|r| r.name.clone()).collect::<Vec<_>>()),
            Column::new("lr".into(), results.iter().map(|r| r.lr).collect::<Vec<_>>()),
            Column::new("steps".into(), results.iter().map(|r| r.steps.map(|s| s as u64)).collect::<Vec<_>>()),
        ],
    )?)
}
