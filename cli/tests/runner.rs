//! The command-line runner, run as a user would: a link in, the page's summary out.

use std::process::Command;

fn tradeoff(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tradeoff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the runner starts");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn trains_a_share_links_config_and_prints_the_pages_summary() {
    let link = "http://127.0.0.1:8080/#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=3e-3&bs=64&ep=2&seed=7&be=webgpu";
    let model = std::env::temp_dir().join(format!(
        "tradeoff-runner-{}.safetensors",
        std::process::id()
    ));
    let (ok, out, err) = tradeoff(&["train", "--url", link, "--save", model.to_str().unwrap()]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(
            "#v=1&ds=mnist&in=28x1&layers=d32&opt=adam&lr=3e-3&bs=64&ep=2&seed=7&be=webgpu"
        ),
        "{out}"
    );
    assert!(out.contains("the link asked for WebGPU"), "{out}");
    // Without a GPU backend built in, auto trains on the CPU, and says so.
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    assert!(
        out.contains("Device: cpu (flex), native (command line)"),
        "{out}"
    );
    assert_eq!(out.matches("epoch ").count(), 2, "{out}");
    assert!(out.contains("This run finished."), "{out}");
    let accuracy: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Test accuracy "))
        .and_then(|rest| rest.trim_end_matches(" %").parse().ok())
        .unwrap_or_else(|| panic!("no test accuracy in:\n{out}"));
    assert!(accuracy > 85.0, "{out}");
    for fact in ["Training time", "images/s", "Latency", "parameters"] {
        assert!(out.contains(fact), "{fact} missing:\n{out}");
    }
    // The model file: 25,450 float weights after its header, the link in its metadata.
    let file = std::fs::read(&model).expect("the model was saved");
    std::fs::remove_file(&model).ok();
    let header = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    assert_eq!(file.len() - 8 - header, 25_450 * 4);
    let text = String::from_utf8_lossy(&file[8..8 + header]);
    assert!(text.contains("layers=d32"), "{text}");
}

#[test]
fn says_what_is_wrong_with_a_link_it_cannot_train() {
    let (ok, _, err) = tradeoff(&["train", "--url", "#v=1&bs=0&lr=banana"]);
    assert!(!ok);
    assert!(err.contains("lr: 'banana' is not a number"), "{err}");
    let (ok, _, err) = tradeoff(&["train", "--url", "#v=1&ds=local&in=32x3&layers=d8&ep=1"]);
    assert!(!ok);
    assert!(
        err.contains("own images") && err.contains("--data"),
        "{err}"
    );
    let (ok, _, err) = tradeoff(&[
        "train",
        "--url",
        "#v=1&ds=mnist",
        "--datasets",
        "/nonexistent",
    ]);
    assert!(!ok);
    assert!(err.contains("/nonexistent"), "{err}");
    let (ok, _, err) = tradeoff(&["train", "--url", "#v=1&ds=local", "--data", "/nonexistent"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent: not a folder"), "{err}");
}

/// The repository's photo fixtures (brick, grass, gravel; 15 each) copied into a fresh folder,
/// with the files a real folder also holds: notes, a hidden file, a photo outside any class.
fn photo_folder(name: &str) -> std::path::PathBuf {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/photos");
    let root = std::env::temp_dir().join(format!("tradeoff-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&root).ok();
    for class in ["brick", "grass", "gravel"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for entry in std::fs::read_dir(fixtures.join(class)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, root.join(class).join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(root.join("brick/notes.txt"), "taken on the way to school").unwrap();
    std::fs::write(root.join("grass/.DS_Store"), [0u8; 16]).unwrap();
    std::fs::copy(fixtures.join("grass/grass-00.jpg"), root.join("loose.jpg")).unwrap();
    root
}

const PHOTOS_LINK: &str =
    "#v=1&ds=local&in=32x3&layers=c8k3-p2-d16&opt=adam&lr=3e-3&bs=8&ep=6&seed=7";

#[test]
fn trains_a_folder_of_class_folders_and_exports_the_run_for_the_page() {
    let root = photo_folder("data");
    let export = root.join("runs.json");
    let (ok, out, err) = tradeoff(&[
        "train",
        "--url",
        PHOTOS_LINK,
        "--data",
        root.to_str().unwrap(),
        "--backend",
        "cpu",
        "--export",
        export.to_str().unwrap(),
    ]);
    assert!(ok, "{out}\n{err}");
    // The page's import report: what was added, and each refused file with the reason.
    assert!(
        out.contains("Added 45 images and the classes brick, grass, gravel."),
        "{out}"
    );
    assert!(out.contains("brick/notes.txt"), "{out}");
    assert!(
        out.contains("loose.jpg: it is not in a class folder"),
        "{out}"
    );
    assert!(
        !out.contains(".DS_Store"),
        "hidden files are skipped silently:\n{out}"
    );
    assert!(
        out.contains("3 classes · 36 training and 9 test images"),
        "{out}"
    );
    assert!(
        out.contains("Device: cpu (flex), native (command line)"),
        "{out}"
    );
    let accuracy: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Test accuracy "))
        .and_then(|rest| rest.trim_end_matches(" %").parse().ok())
        .unwrap_or_else(|| panic!("no test accuracy in:\n{out}"));
    assert!(accuracy > 100.0 / 3.0, "above chance on 3 classes:\n{out}");

    // The exported file is what the page's "Import runs" reads: one run, its curves, its
    // figures, its classes, and where it ran.
    let text = std::fs::read_to_string(&export).expect("the run was exported");
    let runs = tradeoff_core::export::runs_from_json(&text).expect("the page's importer reads it");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.config.dataset, "local");
    assert_eq!(run.epochs.len(), 6);
    assert_eq!(run.steps.last().map(|s| s.epoch), Some(6));
    let summary = run.summary.as_ref().expect("figures");
    assert_eq!(summary.class_names, ["brick", "grass", "gravel"]);
    assert_eq!(summary.confusion.total(), 9);
    assert!((summary.test_accuracy * 100.0 - accuracy).abs() < 0.1);
    assert!(
        run.backend.to_string().contains("native (command line)"),
        "{:?}",
        run.backend
    );
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn json_lines_for_machines_and_silence_for_scripts() {
    let root = photo_folder("json");
    let data = root.to_str().unwrap();
    let (ok, out, err) = tradeoff(&["train", "--url", PHOTOS_LINK, "--data", data, "--json"]);
    assert!(ok, "{out}\n{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "epoch").count(),
        6,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "start").count(), 1);
    assert_eq!(kinds.last(), Some(&"finished"));
    let start = events.iter().find(|e| e["event"] == "start").unwrap();
    assert_eq!(
        start["classes"],
        serde_json::json!(["brick", "grass", "gravel"])
    );
    let last = events.last().unwrap();
    assert_eq!(last["status"], "finished");
    let accuracy = last["summary"]["test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));

    let (ok, out, err) = tradeoff(&["train", "--url", PHOTOS_LINK, "--data", data, "--quiet"]);
    assert!(ok, "{err}");
    assert_eq!(out, "", "--quiet prints nothing");
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_backend_this_build_or_machine_lacks_is_named_not_silently_swapped() {
    // What `--backend <name>` prints when this build has no such backend.
    #[allow(unused)]
    let refused = |name: &str| {
        let link = "#v=1&ds=mnist&layers=d8&ep=1";
        let (ok, _, err) = tradeoff(&["train", "--url", link, "--backend", name]);
        assert!(!ok, "--backend {name} ran");
        err
    };
    #[cfg(not(feature = "cuda"))]
    {
        let err = refused("cuda");
        assert!(
            err.contains("no CUDA backend") && err.contains("--features cuda"),
            "{err}"
        );
    }
    #[cfg(not(feature = "wgpu"))]
    {
        let err = refused("wgpu");
        assert!(
            err.contains("no wgpu backend") && err.contains("--features wgpu"),
            "{err}"
        );
    }
}

/// `cargo test -p tradeoff-cli --features wgpu` (`scripts/test-gpu`): the wgpu path, on a real
/// GPU or on Mesa's software Vulkan (lavapipe) where there is none.
#[cfg(feature = "wgpu")]
#[test]
fn the_same_link_trains_the_same_model_on_wgpu_as_on_the_cpu() {
    let link = "#v=1&ds=mnist&in=28x1&layers=c8k3-p2-d32&opt=adam&lr=3e-3&bs=64&ep=1&seed=7";
    let (ok, gpu, err) = tradeoff(&["train", "--url", link, "--backend", "wgpu"]);
    assert!(ok, "{gpu}\n{err}");
    assert!(gpu.contains("Device: wgpu ("), "{gpu}");
    let (ok, cpu, err) = tradeoff(&["train", "--url", link, "--backend", "cpu"]);
    assert!(ok, "{cpu}\n{err}");
    // Same model and start; the GPU rounds differently, so the figures agree only closely.
    let size = |out: &str| {
        out.lines()
            .find(|l| l.contains("parameters"))
            .map(str::to_string)
    };
    assert_eq!(size(&gpu), size(&cpu));
    let (g, c) = (test_accuracy(&gpu), test_accuracy(&cpu));
    eprintln!("wgpu {g} %, cpu {c} %");
    assert!(g > 85.0 && (g - c).abs() < 3.0, "wgpu {g} % vs cpu {c} %");
    // Auto prefers the GPU when one is built in and present.
    let (ok, auto, err) = tradeoff(&["train", "--url", "#v=1&ds=mnist&layers=d8&ep=1", "--json"]);
    assert!(ok, "{auto}\n{err}");
    let start: serde_json::Value = serde_json::from_str(auto.lines().next().unwrap()).unwrap();
    assert!(
        start["device"].as_str().unwrap().starts_with("wgpu ("),
        "{start}"
    );
    // Split over two discrete GPUs: trained where the machine has them, named where not
    // (lavapipe is a CPU adapter).
    let (ok, out, err) = tradeoff(&[
        "train",
        "--url",
        link,
        "--backend",
        "wgpu",
        "--devices",
        "0,1",
    ]);
    if ok {
        assert!(
            out.contains("data-parallel") && out.contains("on 2 devices"),
            "{out}"
        );
    } else {
        assert!(err.contains("could not start on discrete GPU"), "{err}");
    }
}

/// The test accuracy the summary prints.
fn test_accuracy(out: &str) -> f64 {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Test accuracy "))
        .and_then(|rest| rest.trim_end_matches(" %").parse().ok())
        .unwrap_or_else(|| panic!("no test accuracy in:\n{out}"))
}

#[test]
fn devices_split_a_run_and_the_export_says_so() {
    let link = "#v=1&ds=mnist&in=28x1&layers=c8k3-p2-d32&opt=adam&lr=3e-3&bs=64&ep=1&seed=7";
    let runs = std::env::temp_dir().join(format!("tradeoff-devices-{}.json", std::process::id()));
    let (ok, one, err) = tradeoff(&["train", "--url", link, "--backend", "cpu"]);
    assert!(ok, "{one}\n{err}");
    let (ok, two, err) = tradeoff(&[
        "train",
        "--url",
        link,
        "--backend",
        "cpu",
        "--devices",
        "0,1",
        "--export",
        runs.to_str().unwrap(),
    ]);
    assert!(ok, "{two}\n{err}");
    assert!(two.contains("· 2 copies, data-parallel"), "{two}");
    assert!(two.contains("images/s on 2 CPU workers"), "{two}");
    // No batch norm or dropout: the split run's summed gradient is the whole batch's, so it
    // learns as the run on one device does (up to the order of float additions).
    let (a, b) = (test_accuracy(&one), test_accuracy(&two));
    assert!(
        a > 85.0 && (a - b).abs() <= 1.0,
        "one device {a} %, two {b} %"
    );
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&runs).expect("exported")).unwrap();
    std::fs::remove_file(&runs).ok();
    assert_eq!(exported["runs"][0]["workers"], 2, "{exported}");
    // A link split in the page is named with the flag that splits it the same way.
    let (ok, out, err) = tradeoff(&[
        "train",
        "--url",
        "#v=1&ds=mnist&layers=d8&ep=1&workers=3",
        "--backend",
        "cpu",
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("--devices 0,1,2 splits it the same way"),
        "{out}"
    );
}
