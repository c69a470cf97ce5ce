//! `tradeoff train --url '<link>'`: trains a share link's config natively and prints the
//! summary the page shows — the path for users who outgrow a browser tab: native GPUs through
//! Burn's own backends, a folder of class folders as data, and the run back into the page.

mod args;
mod device;
mod folder;
mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tradeoff_core::config::BackendPreference;
use tradeoff_core::data::{Dataset, builtin_dataset};
use tradeoff_core::devices::{devices_name, train_on_devices};
use tradeoff_core::ensemble;
use tradeoff_core::export::runs_to_json;
use tradeoff_core::format;
use tradeoff_core::own_images::OWN_IMAGES_DATASET;
use tradeoff_core::train::{Event, StartError, Trainer};
use tradeoff_core::url;
use tradeoff_core::weights;

use args::{Args, Command, USAGE, hash_of, parse_command};
use output::Printer;
use tradeoff_core::config::StartFrom;
use tradeoff_core::i18n::Lang;
use tradeoff_core::setting::start_words;
use tradeoff_core::transfer::{PRETRAINED, Pretrained, StartModel};

/// The repository's `static/<name>` folder, found from the current folder or above the
/// program (it lives in `target/<profile>/` of the repository).
fn static_folder(name: &str) -> Option<PathBuf> {
    let here = std::env::current_dir().ok();
    let exe = std::env::current_exe().ok();
    here.iter()
        .chain(exe.iter())
        .flat_map(|p| p.ancestors().map(Path::to_path_buf).collect::<Vec<_>>())
        .map(|p| p.join("static").join(name))
        .find(|folder| folder.is_dir())
}

/// Where the built-in datasets are: `--datasets`, else the repository's `static/datasets`.
fn datasets_folder(given: Option<PathBuf>) -> Result<PathBuf, String> {
    given.or_else(|| static_folder("datasets")).ok_or_else(|| {
        "the built-in datasets were not found: pass --datasets <folder> (the repository's static/datasets)".into()
    })
}

/// A model file a link names (`from`): the file given with `flag`, or the pretrained one
/// `static/pretrained` holds. A link naming its author's run or file needs the flag. `role`
/// says what the link does with it ("starts from", "is distilled from"). A file given for a
/// link that names none becomes the link's choice.
fn model_file(
    args: &Args,
    given: Option<&PathBuf>,
    from: &mut StartFrom,
    flag: &str,
    role: &str,
) -> Result<Option<StartModel>, String> {
    let path = match (given, &*from) {
        (None, StartFrom::Scratch) => return Ok(None),
        (Some(path), current) => {
            if *current == StartFrom::Scratch {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                *from = StartFrom::file(&name);
            }
            path.clone()
        }
        (None, StartFrom::Pretrained(id)) => {
            let start = Pretrained::find(id).ok_or_else(|| {
                format!("the link {role} '{id}', which is not one of the pretrained models (tradeoff pretrained lists them)")
            })?;
            let folder = args
                .datasets
                .as_ref()
                .and_then(|d| d.parent().map(|p| p.join("pretrained")))
                .or_else(|| static_folder("pretrained"))
                .ok_or(format!("the pretrained models were not found (the repository's static/pretrained): pass {flag} <file>"))?;
            folder.join(format!("{}.safetensors", start.id))
        }
        (None, named) => {
            return Err(format!(
                "this link {role} the weights of {}, which only its author has: pass {flag} <file> with that model file (the page's 'Download model')",
                start_words(named, Lang::En)
            ));
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    StartModel::read(bytes)
        .map(Some)
        .map_err(|why| format!("{}: {why}", path.display()))
}

/// The data the run trains on, with its name: `--data`'s folder, or the link's built-in set.
fn load_data(args: &Args, dataset: &str, out: &Printer) -> Result<(Dataset, String), String> {
    if let Some(root) = &args.data {
        let (own, report) = folder::read_classes(root, args.fit)?;
        for line in folder::report_lines(&report) {
            out.note(&line);
        }
        let data = own
            .to_dataset()
            .map_err(|why| format!("{}: {why}", root.display()))?;
        return Ok((data, root.display().to_string()));
    }
    if dataset == OWN_IMAGES_DATASET {
        return Err("this link was trained on its author's own images, which never leave their browser: pass --data <folder> with one sub-folder per class to train it on yours".into());
    }
    let builtin = builtin_dataset(dataset).ok_or("unknown dataset")?;
    let path = datasets_folder(args.datasets.clone())?.join(builtin.file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let data = Dataset::from_tds(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((data, builtin.name.to_string()))
}

fn run(args: Args) -> Result<(), String> {
    let out = Printer::new(args.output);
    let parsed = url::from_hash(hash_of(&args.link)).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("the link could not be read: {}", list.join("; "))
    })?;
    for key in &parsed.ignored_keys {
        out.note(&format!(
            "the link's '{key}' is not a setting here and was ignored"
        ));
    }
    let mut config = parsed.config;
    if args.data.is_some() && config.dataset != OWN_IMAGES_DATASET {
        out.note(&format!(
            "the link's dataset '{}' is replaced by the --data folder",
            config.dataset
        ));
        config.dataset = OWN_IMAGES_DATASET.into();
    }
    let (data, data_name) = load_data(&args, &config.dataset, &out)?;
    let chosen = device::choose(args.backend, &args.devices)?;
    let names: Vec<String> = chosen.iter().map(|c| c.name.clone()).collect();
    // A message, so that a run imported into the page reads in the page's language.
    let device_name = devices_name(&names);
    let devices: Vec<_> = chosen.into_iter().map(|c| c.device).collect();
    if config.backend == BackendPreference::Webgpu {
        out.note("the link asked for WebGPU, the browser's GPU: here --backend chooses (auto by default)");
    }
    if config.workers > 1 && devices.len() == 1 {
        out.note(&format!(
            "the link's run was split over {} CPU workers: --devices {} splits it the same way here",
            config.workers,
            (0..config.workers)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    out.start(&config, &data_name, &data, &device_name.text(Lang::En));
    let start = model_file(
        &args,
        args.start.as_ref(),
        &mut config.transfer.from,
        "--start",
        "starts from",
    )?;
    if let Some(start) = &start {
        let plan = start.plan(&config, &data.train.classes);
        out.note(&format!("Start: {}", plan.describe()));
    }
    let teacher = model_file(
        &args,
        args.teacher.as_ref(),
        &mut config.distill.teacher,
        "--teacher",
        "is distilled from",
    )?;
    let mut records = Vec::new();
    let mut members = Vec::new();
    for k in 0..args.members.max(1) {
        let mut config = config.clone();
        config.seed += k as u64;
        if args.members > 1 {
            out.note(&format!(
                "Member {} of {} (seed {})",
                k + 1,
                args.members,
                config.seed
            ));
        }
        let could_not = |e: StartError| format!("the run could not start: {e}");
        let run = train_on_devices(
            &devices,
            |device| {
                Trainer::new(config.clone(), &data, device, device_name.clone())?
                    .with_models(start.as_ref(), teacher.as_ref())
            },
            |event, progress| match event {
                Event::Steps(steps) => out.steps(steps, progress),
                Event::Epoch(e) => out.epoch(e),
                Event::Finished(_) => {}
            },
        )
        .map_err(could_not)?;
        let record = run.record;
        out.finished(&record);
        if record.summary.is_none() {
            return Err("the run ended without results".into());
        }
        records.push(record);
        members.push(run.trained.ok_or("the run kept no model")?);
    }
    // Ensembles of the first 2, 3, … members.
    if members.len() > 1 {
        let test = data.test.to_shape(config.input);
        let parts: Vec<ensemble::Member> = members.iter().map(ensemble::member_of).collect();
        for k in 2..=parts.len() {
            let record = pollster::block_on(ensemble::evaluate(
                &parts[..k],
                &test,
                device_name.clone(),
                &members[0].device,
            ))
            .map_err(|e| format!("the ensemble could not be evaluated: {e}"))?;
            out.note(&format!("Ensemble of the first {k} members:"));
            out.finished(&record);
            records.push(record);
        }
    }
    if let Some(path) = &args.export {
        std::fs::write(path, runs_to_json(&records))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out.note(&format!(
            "Run exported to {} (the page's 'Import runs' reads it)",
            path.display()
        ));
    }
    if let Some(path) = &args.save {
        let file =
            pollster::block_on(weights::safetensors(&members[0])).map_err(|e| e.to_string())?;
        std::fs::write(path, &file).map_err(|e| format!("{}: {e}", path.display()))?;
        out.note(&format!(
            "Model saved to {} ({})",
            path.display(),
            format::bytes(file.len() as u64)
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_command(&args).and_then(|command| match command {
        Command::Train(args) => run(*args),
        Command::Pretrained => {
            for start in PRETRAINED {
                println!("{}\t{}", start.id, start.link);
            }
            Ok(())
        }
    });
    match result {
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
