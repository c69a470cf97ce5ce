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
    assert!(out.contains("this runner trains on the CPU"), "{out}");
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
    assert!(err.contains("own images"), "{err}");
    let (ok, _, err) = tradeoff(&["train", "--url", "#v=1&ds=mnist", "--data", "/nonexistent"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent"), "{err}");
}
