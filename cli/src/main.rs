//! `tradeoff train --url '<link>'`: trains a share link's config natively and prints the
//! summary the page shows — the path for users who outgrow a browser tab.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::data::{Dataset, builtin_dataset};
use tradeoff_core::format;
use tradeoff_core::i18n::Lang;
use tradeoff_core::own_images::OWN_IMAGES_DATASET;
use tradeoff_core::train::{Event, Trainer};
use tradeoff_core::url;
use tradeoff_core::weights;

const USAGE: &str = "\
Trains a Tradeoff share link's settings on this computer and prints the page's summary.

Usage:
  tradeoff train --url '<link>' [--data <folder>] [--save <file.safetensors>]

  --url    a link copied from the page (or just the part after '#')
  --data   the folder holding the built-in datasets (*.tds); by default static/datasets
           of this repository, found from the current folder or the program's location
  --save   write the trained model there, as the page's 'Download model' does: its
           weights in the safetensors format, with the run's settings in its metadata
";

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Args {
    link: String,
    data: Option<PathBuf>,
    save: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("train") => {}
        Some("-h" | "--help" | "help") | None => return Err(String::new()),
        Some(other) => {
            return Err(format!(
                "unknown command '{other}' (the command is 'train')"
            ));
        }
    }
    let (mut link, mut data, mut save) = (None, None, None);
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => link = Some(value()?),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--save" => save = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(Args {
        link: link.ok_or("--url '<link>' is required")?,
        data,
        save,
    })
}

/// The hash of a link, whole or already cut at '#'.
fn hash_of(link: &str) -> &str {
    link.split_once('#').map_or(link, |(_, hash)| hash)
}

/// Where the built-in datasets are: `--data`, else `static/datasets` in the current folder or
/// above the program (it lives in `target/<profile>/` of the repository).
fn data_folder(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(folder) = given {
        return Ok(folder);
    }
    let here = std::env::current_dir().ok();
    let exe = std::env::current_exe().ok();
    let candidates = here
        .iter()
        .chain(exe.iter())
        .flat_map(|p| p.ancestors().map(Path::to_path_buf).collect::<Vec<_>>())
        .map(|p| p.join("static").join("datasets"));
    for folder in candidates {
        if folder.is_dir() {
            return Ok(folder);
        }
    }
    Err("the built-in datasets were not found: pass --data <folder> (the repository's static/datasets)".into())
}

fn run(args: Args) -> Result<(), String> {
    let parsed = url::from_hash(hash_of(&args.link)).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("the link could not be read: {}", list.join("; "))
    })?;
    for key in &parsed.ignored_keys {
        eprintln!("note: the link's '{key}' is not a setting here and was ignored");
    }
    let config = parsed.config;
    if config.dataset == OWN_IMAGES_DATASET {
        return Err("this link was trained on its author's own images, which never leave their browser; the command-line runner trains the built-in datasets".into());
    }
    let builtin = builtin_dataset(&config.dataset).ok_or("unknown dataset")?;
    let path = data_folder(args.data)?.join(builtin.file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let data = Dataset::from_tds(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("Tradeoff run: #{}", url::to_hash(&config));
    println!(
        "Dataset: {} · backend: {CPU_BACKEND_NAME}, native{}",
        builtin.name,
        if config.backend.name() == "webgpu" {
            " (the link asked for WebGPU; this runner trains on the CPU)"
        } else {
            ""
        }
    );
    let mut trainer = Trainer::new(config, &data, cpu_device(), CPU_BACKEND_NAME)
        .map_err(|e| format!("the run could not start: {e}"))?;
    let record = pollster::block_on(async {
        loop {
            for event in trainer.advance().await {
                match event {
                    Event::Epoch(e) => println!(
                        "epoch {}: validation accuracy {}, validation loss {:.3}, training loss {:.3}, {:.0} images/s",
                        e.epoch,
                        format::percent(Lang::En, e.validation_accuracy),
                        e.validation_loss,
                        e.train_loss,
                        e.images_per_second
                    ),
                    Event::Finished(record) => return *record,
                    Event::Steps(_) => {}
                }
            }
        }
    });
    println!("This run {}.", record.status.describe());
    for fact in record.facts(Lang::En) {
        println!("  {fact}");
    }
    if record.summary.is_none() {
        return Err("the run ended without results".into());
    }
    if let Some(path) = args.save {
        let trained = trainer.into_trained().ok_or("the run kept no model")?;
        let file = pollster::block_on(weights::safetensors(&trained)).map_err(|e| e.to_string())?;
        std::fs::write(&path, &file).map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "Model saved to {} ({})",
            path.display(),
            format::bytes(file.len() as u64)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) if message.is_empty() => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("tradeoff: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_the_link_and_the_data_folder() {
        let parsed =
            parse_args(&args(&["train", "--url", "http://x/#v=1", "--data", "d"])).unwrap();
        assert_eq!(parsed.link, "http://x/#v=1");
        assert_eq!(parsed.data, Some(PathBuf::from("d")));
        assert_eq!(parsed.save, None);
        assert_eq!(hash_of(&parsed.link), "v=1");
        assert_eq!(hash_of("v=1&bs=2"), "v=1&bs=2");
        assert!(parse_args(&args(&["train"])).unwrap_err().contains("--url"));
        assert!(
            parse_args(&args(&["fly"]))
                .unwrap_err()
                .contains("unknown command")
        );
        assert!(
            parse_args(&args(&["train", "--url"]))
                .unwrap_err()
                .contains("needs a value")
        );
        assert_eq!(parse_args(&args(&["--help"])).unwrap_err(), "");
    }
}
