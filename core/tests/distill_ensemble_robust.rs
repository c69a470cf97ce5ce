//! The essay's last three trades: a small student distilled from a big teacher, k models
//! averaged into an ensemble, and accuracy under noise and attack (with adversarial training
//! to buy it back).
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use burn::tensor::{Int, Tensor, TensorData};
use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{Layer, LossKind, RunConfig, StartFrom};
use tradeoff_core::data::Dataset;
use tradeoff_core::ensemble::{self, member_of};
use tradeoff_core::model::Classifier;
use tradeoff_core::objective::Objective;
use tradeoff_core::record::RunRecord;
use tradeoff_core::robust::{PixelScale, fgsm};
use tradeoff_core::setting::Setting;
use tradeoff_core::train::{TrainedModel, Trainer};
use tradeoff_core::transfer::StartModel;
use tradeoff_core::url::{from_hash, to_hash};
use tradeoff_core::weights::safetensors;

fn mnist() -> Dataset {
    common::mnist_slice(3000, 500)
}

fn summary(record: &RunRecord) -> &tradeoff_core::metrics::Summary {
    record.summary.as_ref().expect("the run has results")
}

/// The reference CNN at 3e-3 for `epochs` epochs with `seed`.
fn reference(epochs: usize, seed: u64) -> RunConfig {
    let mut config = RunConfig::default();
    config.optimizer.learning_rate = 3e-3;
    config.epochs = epochs;
    config.seed = seed;
    config
}

/// Trains `config` distilled from the model file `teacher`.
fn distilled(config: RunConfig, data: &Dataset, teacher: &[u8]) -> Result<RunRecord, String> {
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let teacher = StartModel::read(teacher.to_vec()).map_err(|e| e.to_string())?;
    let mut trainer = Trainer::new(config, data, cpu_device(), CPU_BACKEND_NAME)
        .map_err(|e| e.to_string())?
        .with_teacher(&teacher)
        .map_err(|e| e.to_string())?;
    Ok(pollster::block_on(trainer.run_to_end()))
}

#[test]
fn fgsm_moves_every_pixel_by_at_most_epsilon_and_keeps_it_a_pixel() {
    // Initialising draws from Burn's process-wide random stream, which the other tests' runs use.
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let data = mnist();
    let device = cpu_device();
    let config = RunConfig::default();
    let model = Classifier::init(
        &config.layers,
        config.input,
        10,
        config.init,
        &device.clone().autodiff(),
    );
    let norm = data.train.normalisation(&(0..1000).collect::<Vec<_>>());
    let indices: Vec<usize> = (0..32).collect();
    let (xs, ys) = data.test.batch(&indices, &norm, None);
    let images = Tensor::<4>::from_data(TensorData::new(xs.clone(), [32, 1, 28, 28]), &device);
    let labels = Tensor::<1, Int>::from_data(TensorData::new(ys, [32]), &device);
    let objective = Objective::new(LossKind::CrossEntropy, 10, 0.0, &device.clone().autodiff());
    let attacked = fgsm(
        &burn::module::Module::freeze(model),
        &objective,
        images,
        labels,
        0.1,
        &PixelScale::new(&norm),
    );
    let attacked: Vec<f32> = attacked.into_data().iter::<f32>().collect();
    let pixel = |x: f32| x * norm.std[0] + norm.mean[0];
    let mut moved = 0;
    for (&before, &after) in xs.iter().zip(&attacked) {
        let (p, q) = (pixel(before), pixel(after));
        assert!((-1e-4..=1.0 + 1e-4).contains(&q), "pixel {q} left 0..1");
        assert!(
            (p - q).abs() <= 0.1 + 1e-4,
            "moved by {} > ε",
            (p - q).abs()
        );
        if (p - q).abs() > 0.099 {
            moved += 1;
        }
    }
    // Black background pixels pushed darker stay black; the rest move by the whole ε.
    assert!(
        moved > xs.len() / 10,
        "only {moved} of {} pixels moved by ε",
        xs.len()
    );
}

#[test]
fn noise_and_attack_cost_accuracy_and_adversarial_training_buys_it_back() {
    let data = mnist();
    let plain = common::train(reference(2, 7), &data);
    let s = summary(&plain);
    let (noise, attacked) = (s.noise_accuracy.unwrap(), s.fgsm_accuracy.unwrap());
    eprintln!(
        "clean {:.3} noise {noise:.3} fgsm {attacked:.3}",
        s.test_accuracy
    );
    assert!(s.test_accuracy > 0.9, "clean {}", s.test_accuracy);
    assert!(
        attacked < s.test_accuracy - 0.2,
        "FGSM at the default ε should cost a visible share: {attacked} vs {}",
        s.test_accuracy
    );
    assert!(
        noise < s.test_accuracy,
        "noise {noise} vs {}",
        s.test_accuracy
    );

    let mut config = reference(2, 7);
    config.robustness.adversarial = 0.5;
    let hardened = common::train(config, &data);
    let h = summary(&hardened);
    let robust = h.fgsm_accuracy.unwrap();
    eprintln!(
        "adversarial: clean {:.3} noise {:.3} fgsm {robust:.3}",
        h.test_accuracy,
        h.noise_accuracy.unwrap()
    );
    assert!(
        robust > attacked + 0.15,
        "adversarial training should raise accuracy under attack: {robust} vs {attacked}"
    );
    // Each step also attacks half its batch: slower to train.
    assert!(h.test_accuracy > 0.85, "clean accuracy {}", h.test_accuracy);

    // σ and ε of 0 measure nothing.
    let mut off = reference(1, 7);
    off.robustness.noise = 0.0;
    off.robustness.epsilon = 0.0;
    let record = common::train(off, &common::mnist_slice(600, 100));
    assert_eq!(summary(&record).noise_accuracy, None);
    assert_eq!(summary(&record).fgsm_accuracy, None);
}

/// A small student (one dense layer of 16), alone and distilled from the reference CNN, for
/// three epochs (after one, the softened targets have not paid off yet: the student is behind).
#[test]
fn a_distilled_student_beats_the_same_student_trained_alone() {
    let data = mnist();
    let teacher: TrainedModel = common::train_model(reference(3, 7), &data);
    let file = pollster::block_on(safetensors(&teacher)).unwrap();
    let mut student = reference(3, 7);
    student.layers = vec![Layer::dense(16)];
    let alone = common::train(student.clone(), &data);
    student.distill.teacher = StartFrom::Run(1);
    // With the teacher's weight at 0 the run is the student alone, step for step: the teacher
    // draws nothing from the run's random stream.
    student.distill.alpha = 0.0;
    let unweighted = distilled(student.clone(), &data, &file).unwrap();
    assert_eq!(unweighted.steps, alone.steps);
    student.distill.alpha = 0.7;
    let taught = distilled(student.clone(), &data, &file).unwrap();
    let (a, t) = (
        summary(&alone).test_accuracy,
        summary(&taught).test_accuracy,
    );
    eprintln!(
        "teacher {:.3}, student alone {a:.3}, distilled {t:.3}",
        summary(&teacher.record).test_accuracy
    );
    assert!(t > a, "distilled {t} vs alone {a}");
    let info = taught
        .distill
        .as_ref()
        .expect("the record says it was distilled");
    assert_eq!(info.teacher_layers, "c8k3-p2-c16k3-p2-d64");
    assert!(info.teacher_params > summary(&taught).params * 2);
    assert!(
        taught
            .facts(tradeoff_core::i18n::Lang::En)
            .iter()
            .any(|f| f.starts_with("Distilled from run 1 (c8k3-p2-c16k3-p2-d64"))
    );

    // A teacher of other classes, or a student whose output has no softmax, is refused.
    let two = common::two_classes(common::mnist_slice(600, 100), 0, 1);
    let why = distilled(student.clone(), &two, &file).unwrap_err();
    assert!(why.contains("other classes"), "{why}");
    student.loss = LossKind::BinaryCrossEntropy;
    let why = distilled(student, &two, &file).unwrap_err();
    assert!(why.contains("one softmax output per class"), "{why}");
}

#[test]
fn an_ensemble_is_at_least_as_accurate_as_its_members_on_average() {
    let data = mnist();
    let members: Vec<TrainedModel> = (1..=3)
        .map(|seed| common::train_model(reference(1, seed), &data))
        .collect();
    let parts: Vec<ensemble::Member> = members.iter().map(member_of).collect();
    let test = data.test.to_shape(members[0].record.config.input);
    let record = pollster::block_on(ensemble::evaluate(
        &parts,
        &test,
        CPU_BACKEND_NAME.into(),
        &members[0].device,
    ))
    .unwrap();
    let info = record.ensemble.as_ref().unwrap();
    let s = summary(&record);
    eprintln!(
        "members {:?} → ensemble {:.3}; noise {:?} fgsm {:?}",
        info.member_accuracies, s.test_accuracy, s.noise_accuracy, s.fgsm_accuracy
    );
    assert!(s.test_accuracy >= info.mean_member_accuracy());
    assert_eq!(s.params, 3 * summary(&members[0].record).params);
    assert_eq!(s.model_bytes, 3 * summary(&members[0].record).model_bytes);
    assert!(s.test_loss < summary(&members[0].record).test_loss);
    assert!(s.fgsm_accuracy.unwrap() < s.test_accuracy);

    // One member, or members of different inputs, are no ensemble.
    let records: Vec<&RunRecord> = members.iter().map(|m| &m.record).collect();
    assert!(ensemble::check(&records[..1]).is_err());
    let mut other = members[1].record.clone();
    other.config.input.size = 20;
    assert!(ensemble::check(&[records[0], &other]).is_err());
}

#[test]
fn the_new_settings_travel_in_links() {
    let mut config = RunConfig::default();
    config.distill.teacher = StartFrom::Pretrained("mnist-cnn".into());
    config.distill.temperature = 8.0;
    config.distill.alpha = 0.5;
    config.robustness.noise = 0.2;
    config.robustness.epsilon = 0.05;
    config.robustness.adversarial = 0.25;
    let link = to_hash(&config);
    for part in [
        "teacher=pre:mnist-cnn",
        "temp=8",
        "alpha=0.5",
        "noise=0.2",
        "eps=0.05",
        "adv=0.25",
    ] {
        assert!(link.contains(part), "{link} lacks {part}");
    }
    assert_eq!(from_hash(&link).unwrap().config, config);
    // The defaults are not written.
    let plain = to_hash(&RunConfig::default());
    assert!(
        !plain.contains("teacher=") && !plain.contains("eps="),
        "{plain}"
    );
    // Out of range: named by the setting.
    config.robustness.epsilon = 0.9;
    config.distill.temperature = 0.5;
    let errors = config.validate(10).unwrap_err();
    let settings: Vec<Setting> = errors.iter().map(|e| e.setting).collect();
    assert!(settings.contains(&Setting::Epsilon) && settings.contains(&Setting::Temperature));
}
