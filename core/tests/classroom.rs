//! Teacher mode, lessons, results in links, and exporting runs.

mod common;

use tradeoff_core::classroom::LESSONS;
use tradeoff_core::config::{OptimizerConfig, RunConfig, Schedule};
use tradeoff_core::export::{csv_columns, runs_from_json, runs_to_csv, runs_to_json};
use tradeoff_core::record::{CurveMark, RunRecord, RunStatus, curve_marks};
use tradeoff_core::setting::Setting;
use tradeoff_core::share::{MAX_CURVE_POINTS, SharedResult};
use tradeoff_core::url::{from_hash, to_link};

#[test]
fn hide_and_lock_flags_round_trip_and_hidden_implies_locked() {
    let parsed = from_hash(
        "v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=2&seed=7&hide=opt,lr&lock=bs",
    )
    .unwrap();
    let room = &parsed.classroom;
    assert!(room.is_hidden(Setting::Optimizer) && room.is_hidden(Setting::LearningRate));
    assert!(!room.is_hidden(Setting::BatchSize) && room.is_locked(Setting::BatchSize));
    assert!(
        room.is_locked(Setting::Optimizer),
        "a hidden control cannot be changed either"
    );
    assert!(!room.is_locked(Setting::Epochs));
    let again = from_hash(&to_link(&parsed.config, room, None)).unwrap();
    assert_eq!(again.classroom, *room);
    assert_eq!(again.config, parsed.config);
}

#[test]
fn unknown_control_names_are_refused_with_the_list() {
    let errors = from_hash("v=1&ds=mnist&hide=opt,colour").unwrap_err();
    assert_eq!(errors[0].key, "hide");
    assert!(
        errors[0]
            .message
            .to_string()
            .contains("'colour' is not a control"),
        "{}",
        errors[0].message
    );
    assert!(errors[0].message.to_string().contains("bs"));
}

#[test]
fn every_lesson_opens_from_its_short_link_with_valid_settings() {
    for lesson in &LESSONS {
        let parsed = from_hash(&format!("lesson={}", lesson.id))
            .unwrap_or_else(|e| panic!("lesson {}: {e:?}", lesson.id));
        assert_eq!(parsed.classroom.lesson(), Some(lesson));
        assert!(
            !parsed.classroom.hidden.is_empty(),
            "{} hides nothing",
            lesson.id
        );
        assert!(!lesson.question.is_empty() && lesson.text.len() > 80);
        // The page writes the full link back into the address bar: it must read the same.
        let full = to_link(&parsed.config, &parsed.classroom, None);
        let again = from_hash(&full).unwrap();
        assert_eq!(again.config, parsed.config, "{}", lesson.id);
        assert_eq!(again.classroom, parsed.classroom, "{}", lesson.id);
    }
    // A lesson link's own keys win over the lesson's.
    let parsed = from_hash("lesson=batch-size&bs=256").unwrap();
    assert_eq!(parsed.config.batch_size, 256);
    assert_eq!(parsed.config.optimizer.learning_rate, 0.05);
    let errors = from_hash("lesson=astrology").unwrap_err();
    assert!(
        errors[0].message.to_string().contains("batch-size"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_trained_runs_result_travels_in_a_short_link_and_comes_back() {
    let config = RunConfig {
        epochs: 2,
        batch_size: 32,
        ..Default::default()
    };
    let record = common::train(config, &common::mnist_slice(2000, 300));
    let steps = record.steps.len();
    assert!(steps > MAX_CURVE_POINTS, "{steps} steps");
    let result = SharedResult::of(&record);
    let link = to_link(&record.config, &Default::default(), Some(&result));
    assert!(link.len() < 2000, "{} characters: {link}", link.len());
    assert!(
        link.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~&=:;,".contains(c)),
        "characters a fragment would escape: {link}"
    );

    let parsed = from_hash(&link).unwrap();
    let shared = parsed.result.expect("the result is read back");
    let got = shared.into_record(parsed.config.clone(), record.cost.clone());
    assert!(got.shared);
    assert_eq!(got.status, RunStatus::Finished);
    assert_eq!(got.config, record.config);
    let (sent, received) = (record.summary.unwrap(), got.summary.unwrap());
    assert!((sent.test_accuracy - received.test_accuracy).abs() < 1e-4);
    assert!((sent.train_seconds - received.train_seconds).abs() < 0.06);
    assert_eq!(got.epochs.len(), 2);
    for (a, b) in record.epochs.iter().zip(&got.epochs) {
        assert!((a.validation_accuracy - b.validation_accuracy).abs() <= 5e-4);
        assert!((a.train_loss - b.train_loss).abs() <= 1e-3 * a.train_loss.max(1.0));
    }
    // What a receiver sees was measured by the sender: each epoch's own time and speed, and
    // the latency at batch 64 (not the batch-1 figure under another name).
    for (a, b) in record.epochs.iter().zip(&got.epochs) {
        assert!((a.seconds - b.seconds).abs() <= 0.006, "{a:?} {b:?}");
        assert!((a.train_seconds - b.train_seconds).abs() <= 0.006);
        assert!((a.images_per_second - b.images_per_second).abs() <= 0.5);
    }
    assert_eq!(
        (received.latency_ms_batch64 * 1000.0).round(),
        (sent.latency_ms_batch64 * 1000.0).round()
    );
    assert_ne!(received.latency_ms_batch64, received.latency_ms_batch1);
    // Accuracy under noise and under attack travel too.
    for (a, b) in [
        (sent.noise_accuracy, received.noise_accuracy),
        (sent.fgsm_accuracy, received.fgsm_accuracy),
    ] {
        let (a, b) = (a.expect("measured"), b.expect("carried"));
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    // The curve keeps its shape: first and last points, and every epoch's last step.
    assert!(got.steps.len() <= MAX_CURVE_POINTS);
    assert_eq!(got.steps.first().unwrap().step, 1);
    assert_eq!(got.steps.last().unwrap().step, steps);
    let end_of_first = record.steps.iter().filter(|s| s.epoch == 1).count();
    assert!(got.steps.iter().any(|s| s.step == end_of_first));
}

/// A link as a mail or chat program passes it on.
fn rewritten(link: &str, program: &str) -> String {
    match program {
        // Teams' Safe Links and Outlook: the fragment percent-encoded, separators and all.
        "teams" => link
            .chars()
            .map(|c| match c {
                '&' | '=' | ',' | ';' | ':' | '~' => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect(),
        // Gmail, copied out of an HTML message: `&` escaped as `&amp;`, commas as `%2C`.
        "gmail" => link.replace('&', "&amp;").replace(',', "%2C"),
        // WeChat: encoded twice over (`%2526`), with its own keys appended.
        "wechat" => {
            let once = link
                .replace('%', "%25")
                .replace('&', "%26")
                .replace('=', "%3D");
            once.replace('%', "%25") + "&from=singlemessage&isappinstalled=0"
        }
        _ => unreachable!(),
    }
}

#[test]
fn links_rewritten_by_mail_and_chat_programs_still_open() {
    let config = RunConfig {
        epochs: 1,
        batch_size: 32,
        ..Default::default()
    };
    let record = common::train(config, &common::mnist_slice(600, 100));
    let parsed = from_hash("v=1&ds=mnist&bs=32&ep=1&hide=opt,lr&lock=bs").unwrap();
    let link = to_link(
        &record.config,
        &parsed.classroom,
        Some(&SharedResult::of(&record)),
    );
    let original = from_hash(&link).unwrap();
    for program in ["teams", "gmail", "wechat"] {
        let pasted = format!("#{}", rewritten(&link, program));
        assert_ne!(pasted[1..], link, "{program} changed nothing");
        let got = from_hash(&pasted).unwrap_or_else(|e| panic!("{program}: {pasted}: {e:?}"));
        assert_eq!(got.config, original.config, "{program}");
        assert_eq!(got.classroom, original.classroom, "{program}");
        assert_eq!(got.result, original.result, "{program}");
        assert!(
            got.result_error.is_none() && got.ignored_keys.is_empty(),
            "{program}"
        );
    }
}

#[test]
fn a_shared_curve_keeps_its_learning_rate_schedule() {
    let config = RunConfig {
        epochs: 3,
        batch_size: 32,
        optimizer: OptimizerConfig {
            schedule: Schedule::Step {
                every_epochs: 1,
                factor: 0.1,
            },
            ..RunConfig::default().optimizer
        },
        ..Default::default()
    };
    let record = common::train(config, &common::mnist_slice(1200, 200));
    let link = to_link(
        &record.config,
        &Default::default(),
        Some(&SharedResult::of(&record)),
    );
    let parsed = from_hash(&link).unwrap();
    let got = parsed
        .result
        .unwrap()
        .into_record(parsed.config.clone(), record.cost.clone());
    // Every point carries the rate its step used, so the step drops are marked on the
    // receiver's curves as on the sender's.
    for point in &got.steps {
        let sent = record.steps.iter().find(|s| s.step == point.step).unwrap();
        assert_eq!(
            point.learning_rate, sent.learning_rate,
            "step {}",
            point.step
        );
    }
    let drops = |r: &RunRecord| {
        curve_marks(&r.config, &r.steps, &r.status)
            .into_iter()
            .filter(|m| matches!(m, CurveMark::RateDrop { .. }))
            .collect::<Vec<_>>()
    };
    assert_eq!(drops(&got).len(), 2);
    assert_eq!(drops(&got), drops(&record));
}

#[test]
fn a_result_from_an_older_link_shows_no_timings_it_did_not_carry() {
    let base = "v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=2&seed=7";
    let r = "Bcpu~Zf~A9321~L0.212~T7.6~I2648~M134~E912,931,0.31,0.25;930,940,0.2,0.2";
    let parsed = from_hash(&format!("{base}&r={r}")).unwrap();
    let result = parsed.result.unwrap();
    let test = result.test.unwrap();
    assert_eq!(test.train_seconds, 7.6);
    assert!(test.latency_ms_batch64.is_nan());
    // Nor robustness it was never measured for.
    assert_eq!((test.noise_accuracy, test.fgsm_accuracy), (None, None));
    assert!(result.epochs.iter().all(|e| e.seconds.is_nan()));
    assert_eq!(result.steps.len(), 0);
}

#[test]
fn a_broken_result_loads_the_settings_and_says_why() {
    let base = "v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=1e-3&bs=64&ep=2&seed=7";
    for (r, why) in [
        ("Bcpu~Zf~A9999~L0.1~T1", "incomplete"),
        ("Bquantum~Zf", "backend"),
        (
            "Bcpu~Zf~E900,910,0.3,0.2;900,910,0.3,0.2;1,1,1,1",
            "more epochs",
        ),
        ("Bcpu~Zf~S5:1:2.3:100;3:1:2.0:200", "loss curve"),
        ("Bcpu~Zf~S1:1:2.3:1001", "loss curve"),
        ("Bcpu~Zq", "status"),
        ("Bcpu~Zf~Q1", "unknown part"),
    ] {
        let parsed = from_hash(&format!("{base}&r={r}")).unwrap();
        assert!(parsed.result.is_none(), "{r}");
        let message = parsed.result_error.unwrap();
        assert!(message.to_string().contains(why), "{r}: {message}");
    }
    // A diverged run's curve is worth sharing too (the learning-rate lesson).
    let parsed = from_hash(&format!("{base}&r=Bcpu~Zd3~S1:1:2.3:100;2:1:40:90;3:1:n:0")).unwrap();
    let r = parsed.result.unwrap();
    assert!(matches!(r.status, RunStatus::Diverged { step: 3, .. }));
    assert!(r.steps[2].loss.is_nan() && r.test.is_none());
}

#[test]
fn exported_runs_import_back_identical_and_bad_files_say_why() {
    let config = RunConfig {
        epochs: 1,
        ..Default::default()
    };
    let record = common::train(config, &common::mnist_slice(600, 100));
    let mut shared =
        SharedResult::of(&record).into_record(record.config.clone(), record.cost.clone());
    shared.backend = "cpu, \"quoted\"".into();
    let runs = vec![record.clone(), shared];
    let json = runs_to_json(&runs);
    assert_eq!(runs_from_json(&json).unwrap(), runs);

    for (text, why) in [
        ("not json", "not a Tradeoff runs file"),
        ("{\"runs\": []}", "not a Tradeoff runs file"),
        (
            "{\"format\": \"tradeoff-runs\", \"version\": 9, \"runs\": []}",
            "version 9",
        ),
        (
            "{\"format\": \"tradeoff-runs\", \"version\": 1, \"runs\": [{}]}",
            "not readable",
        ),
    ] {
        let message = runs_from_json(text).unwrap_err();
        assert!(message.to_string().contains(why), "{text}: {message}");
    }
    let hostile = json.replacen("\"batch_size\": 64", "\"batch_size\": 100000", 1);
    assert!(
        runs_from_json(&hostile)
            .unwrap_err()
            .to_string()
            .contains("run 1 has settings")
    );

    let csv = runs_to_csv(&[(1, &runs[0]), (2, &runs[1])]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].split(',').count(), csv_columns().len());
    assert!(lines[0].starts_with(
        "run,status,dataset,layers,optimizer,learning_rate,batch_size,epochs,loss,init,start,freeze,transfer_lr,teacher,temperature,distill_alpha,test_noise,fgsm_epsilon,adversarial,backend,cpu_workers,validation_accuracy,test_accuracy,noise_accuracy,fgsm_accuracy,"
    ));
    assert!(lines[1].starts_with("1,finished,mnist,c8k3-p2-c16k3-p2-d64,adam,0.001,64,1,"));
    let accuracy = record.summary.as_ref().unwrap().test_accuracy;
    assert!(lines[1].contains(&format!(",{accuracy},")));
    assert!(lines[2].contains("\"cpu, \"\"quoted\"\"\""), "{}", lines[2]);
}
