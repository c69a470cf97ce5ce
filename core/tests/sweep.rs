//! Sweeps: which runs a grid or random search queues, and the budget answer.

mod common;

use tradeoff_core::compare::{AccuracyAxis, CostAxis, pareto_front};
use tradeoff_core::config::{Layer, OptimizerKind, RunConfig};
use tradeoff_core::notation::layers_to_string;
use tradeoff_core::record::RunRecord;
use tradeoff_core::setting::Setting;
use tradeoff_core::sweep::{Axis, Preset, Search, SweepConfig, best_under_budget};

fn grid(axes: Vec<Axis>) -> SweepConfig {
    SweepConfig {
        axes,
        search: Search::Grid,
    }
}

#[test]
fn a_grid_queues_every_combination_with_its_values_applied() {
    let sweep = grid(vec![
        Axis::Preset(vec![Preset::Tiny, Preset::Small]),
        Axis::of(Setting::LearningRate, &[0.001, 0.01]),
    ]);
    let plan = sweep.plan(&RunConfig::default(), 10).unwrap();
    assert!(plan.skipped.is_empty());
    let seen: Vec<(String, f64, String)> = plan
        .runs
        .iter()
        .map(|r| {
            (
                layers_to_string(&r.config.layers),
                r.config.optimizer.learning_rate,
                r.label.to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "d32".into(),
                0.001,
                "layers tiny · learning rate 0.001".to_string()
            ),
            (
                "d32".into(),
                0.01,
                "layers tiny · learning rate 0.01".to_string()
            ),
            (
                "c8k3-p2-d64".into(),
                0.001,
                "layers small · learning rate 0.001".to_string()
            ),
            (
                "c8k3-p2-d64".into(),
                0.01,
                "layers small · learning rate 0.01".to_string()
            ),
        ]
    );
}

#[test]
fn width_and_dropout_act_on_the_preset_chosen_in_the_same_run() {
    // Width is listed first, yet applies after the preset replaced the stack.
    let sweep = grid(vec![
        Axis::Width(vec![2.0]),
        Axis::Dropout(vec![0.25]),
        Axis::Preset(vec![Preset::Small]),
    ]);
    let plan = sweep.plan(&RunConfig::default(), 10).unwrap();
    let layers = &plan.runs[0].config.layers;
    assert!(
        matches!(layers[0], Layer::Conv { filters: 16, .. }),
        "{layers:?}"
    );
    assert!(
        matches!(layers[2], Layer::Dense { units: 128, .. }),
        "{layers:?}"
    );
    assert_eq!(layers.last(), Some(&Layer::Dropout { p: 0.25 }));
    assert_eq!(
        plan.runs[0].label,
        "width × 2.00 · dropout 0.25 · layers small"
    );
}

#[test]
fn a_grid_over_the_limit_or_with_an_empty_axis_is_refused_with_the_reason() {
    let big = grid(vec![
        Axis::of(Setting::BatchSize, &[16, 32, 64, 128]),
        Axis::of(Setting::LearningRate, &[1e-4, 1e-3, 1e-2, 1e-1]),
        Axis::of(Setting::Optimizer, &["sgd", "adam", "adamw", "momentum"]),
    ]);
    let message = big.plan(&RunConfig::default(), 10).unwrap_err();
    assert!(
        message
            .to_string()
            .contains("64 runs, over the limit of 48"),
        "{message}"
    );
    let empty = grid(vec![Axis::Dropout(vec![])]);
    assert!(
        empty
            .plan(&RunConfig::default(), 10)
            .unwrap_err()
            .to_string()
            .contains("dropout")
    );
    assert!(grid(vec![]).plan(&RunConfig::default(), 10).is_err());
    let twice = grid(vec![
        Axis::of(Setting::LearningRate, &[0.1]),
        Axis::of(Setting::LearningRate, &[0.2]),
    ]);
    assert!(
        twice
            .plan(&RunConfig::default(), 10)
            .unwrap_err()
            .to_string()
            .contains("learning rate is chosen twice")
    );
}

#[test]
fn invalid_combinations_are_skipped_with_the_reason_and_the_rest_still_run() {
    // 8× the deep preset's widths exceeds the parameter limit; 1× does not.
    let sweep = grid(vec![
        Axis::Preset(vec![Preset::Deep]),
        Axis::Width(vec![1.0, 8.0]),
    ]);
    let plan = sweep.plan(&RunConfig::default(), 10).unwrap();
    assert_eq!(plan.runs.len(), 1);
    assert_eq!(plan.skipped.len(), 1);
    assert!(
        plan.skipped[0]
            .to_string()
            .starts_with("layers deep · width × 8.00: "),
        "{}",
        plan.skipped[0]
    );
}

#[test]
fn a_random_search_samples_the_range_on_a_log_scale_and_reproduces_from_its_seed() {
    let sweep = SweepConfig {
        axes: vec![
            Axis::of(Setting::LearningRate, &[1e-4, 1e-1]),
            Axis::of(Setting::Optimizer, &["sgd", "adam"]),
        ],
        search: Search::Random { runs: 40, seed: 7 },
    };
    let plan = sweep.plan(&RunConfig::default(), 10).unwrap();
    assert_eq!(plan.runs.len(), 40);
    let rates: Vec<f64> = plan
        .runs
        .iter()
        .map(|r| r.config.optimizer.learning_rate)
        .collect();
    assert!(
        rates.iter().all(|&r| (1e-4..=1e-1).contains(&r)),
        "{rates:?}"
    );
    // Log-uniform: about a third of the draws in each decade, so some below 1e-3.
    let low = rates.iter().filter(|&&r| r < 1e-3).count();
    assert!((5..=25).contains(&low), "{low} of 40 below 1e-3");
    for kind in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        assert!(
            plan.runs.iter().any(|r| r.config.optimizer.kind == kind),
            "{kind:?} drawn"
        );
    }
    assert_eq!(
        sweep.plan(&RunConfig::default(), 10).unwrap(),
        plan,
        "same seed, same runs"
    );
}

/// A record with the given test accuracy and latency, from a real short run.
fn with_results(base: &RunRecord, accuracy: f64, latency_ms: f64) -> RunRecord {
    let mut r = base.clone();
    let s = r.summary.as_mut().unwrap();
    s.test_accuracy = accuracy;
    s.latency_ms_batch1 = latency_ms;
    r
}

#[test]
fn the_budget_answer_picks_the_most_accurate_run_within_it_and_names_the_better_one_outside() {
    let config = RunConfig {
        layers: Preset::Tiny.layers(),
        epochs: 1,
        ..RunConfig::default()
    };
    let base = common::train(config, &common::mnist_slice(300, 100));
    // (accuracy, ms): 0 cheap and weak, 1 within 1 ms and best there, 2 as good as 1 but
    // slower, 3 the most accurate at 3 ms.
    let runs = [
        with_results(&base, 0.80, 0.2),
        with_results(&base, 0.92, 0.9),
        with_results(&base, 0.92, 1.0),
        with_results(&base, 0.97, 3.0),
    ];
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let answer = best_under_budget(&refs, CostAxis::Latency, 1.0, AccuracyAxis::Clean);
    assert_eq!(answer.winner, Some(1), "ties go to the cheaper run");
    assert_eq!(answer.better_over_budget, Some(3));
    assert_eq!(answer.within, 3);
    let generous = best_under_budget(&refs, CostAxis::Latency, 5.0, AccuracyAxis::Clean);
    assert_eq!(
        (generous.winner, generous.better_over_budget),
        (Some(3), None)
    );
    let tight = best_under_budget(&refs, CostAxis::Latency, 0.1, AccuracyAxis::Clean);
    assert_eq!(
        (tight.winner, tight.better_over_budget, tight.within),
        (None, Some(3), 0)
    );
    // Asked for accuracy under attack, the budget answer reads that instead: run 3, the most
    // accurate on clean images, is the weakest under attack; a run never attacked is left out.
    let mut attacked = runs.clone();
    for (run, fgsm) in attacked
        .iter_mut()
        .zip([Some(0.30), Some(0.55), None, Some(0.20)])
    {
        run.summary.as_mut().unwrap().fgsm_accuracy = fgsm;
    }
    let refs: Vec<&RunRecord> = attacked.iter().collect();
    let robust = best_under_budget(&refs, CostAxis::Latency, 5.0, AccuracyAxis::Attack);
    assert_eq!((robust.winner, robust.within), (Some(1), 3));
}

#[test]
fn a_sweep_of_four_runs_trains_each_and_its_pareto_front_holds_the_cheapest_and_the_best() {
    let sweep = grid(vec![
        Axis::Preset(vec![Preset::Tiny, Preset::Small]),
        Axis::of(Setting::BatchSize, &[32, 128]),
    ]);
    let base = RunConfig {
        epochs: 1,
        ..RunConfig::default()
    };
    let plan = sweep.plan(&base, 10).unwrap();
    assert_eq!(plan.runs.len(), 4);
    let data = common::mnist_slice(600, 200);
    let records: Vec<RunRecord> = plan
        .runs
        .iter()
        .map(|r| common::train(r.config.clone(), &data))
        .collect();
    let points: Vec<(f64, f64)> = records
        .iter()
        .map(|r| {
            let s = r.summary.as_ref().expect("each run finished");
            (s.params as f64, s.test_accuracy)
        })
        .collect();
    let front = pareto_front(&points, false);
    // By hand: the fewest parameters' most accurate run and the most accurate run overall are
    // never beaten, and every run off the front is beaten by one on it.
    let best = (0..4)
        .max_by(|&a, &b| points[a].1.total_cmp(&points[b].1))
        .unwrap();
    let cheapest = (0..4)
        .min_by(|&a, &b| {
            points[a]
                .0
                .total_cmp(&points[b].0)
                .then(points[b].1.total_cmp(&points[a].1))
        })
        .unwrap();
    assert!(
        front.contains(&best) && front.contains(&cheapest),
        "{points:?} → {front:?}"
    );
    for i in (0..4).filter(|i| !front.contains(i)) {
        assert!(
            front
                .iter()
                .any(|&j| points[j].0 <= points[i].0 && points[j].1 >= points[i].1),
            "run {i} {:?} is off the front but nothing beats it: {points:?}",
            points[i]
        );
    }
}

#[test]
fn typed_values_are_read_or_refused_with_the_value_named() {
    assert_eq!(
        Axis::parse("lr", "0.001, 0.01 0.1").unwrap(),
        Axis::of(Setting::LearningRate, &[0.001, 0.01, 0.1])
    );
    assert_eq!(
        Axis::parse("layers", "Tiny, deep").unwrap(),
        Axis::Preset(vec![Preset::Tiny, Preset::Deep])
    );
    assert_eq!(
        Axis::parse("opt", "SGD,adamw").unwrap(),
        Axis::of(Setting::Optimizer, &["sgd", "adamw"])
    );
    let bad = Axis::parse("bs", "32, lots").unwrap_err();
    assert!(
        bad.to_string()
            .contains("“lots”: the batch size is a whole number from 1 to 1024"),
        "{bad}"
    );
    let big = Axis::parse("bs", "32, 4096").unwrap_err();
    assert!(big.to_string().contains("“4096”: the batch size"), "{big}");
    assert!(
        Axis::parse("dropout", "0.95")
            .unwrap_err()
            .to_string()
            .contains("“0.95”")
    );
    assert!(
        Axis::parse("layers", "huge")
            .unwrap_err()
            .to_string()
            .contains("not a preset")
    );
    assert!(
        Axis::parse("lr", " , ")
            .unwrap_err()
            .to_string()
            .contains("at least one value")
    );
    // Every axis the form offers reads its own suggested values.
    for (kind, _, suggested) in tradeoff_core::sweep::axis_choices() {
        assert!(Axis::parse(kind, suggested).is_ok(), "{kind}: {suggested}");
    }
}
