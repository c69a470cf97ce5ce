//! The command line: what `tradeoff train` was asked to do.

use std::path::PathBuf;

use tradeoff_core::own_images::Fit;

/// Help text, printed for `--help` or no arguments.
pub const USAGE: &str = "\
Trains a Tradeoff share link's settings on this computer and prints the page's summary.

Usage:
  tradeoff train --url '<link>' [options]
  tradeoff pretrained      list the pretrained starts the page ships: id, then link

  --url <link>        a link copied from the page (or just the part after '#')
  --data <folder>     train on this folder instead of the link's dataset: one sub-folder per
                      class, images anywhere below it (the layout the page accepts, with the
                      same checks and refusals; PNG, JPEG, WebP, GIF or BMP)
  --fit crop|pad      how a photo that is not square is fitted (default crop: the centre)
  --datasets <folder> where the built-in datasets (*.tds) are; by default static/datasets of
                      this repository, found from the current folder or the program's place
  --start <file>      start from this model file (one the page or --save wrote) wherever the
                      leading layers match; a link that starts from a run or a file needs it,
                      a link that starts from a pretrained start finds it in static/pretrained
  --teacher <file>    distil the run from this model file (trained on the same classes and
                      input): it learns from the teacher's softened outputs too (the link's
                      temp= and alpha=); a link's pretrained teacher is found in static/pretrained
  --members <k>       train k runs (seeds seed, seed+1, …) and evaluate the ensembles of the
                      first 2, 3, …, k of them: accuracy, latency and size against the members
  --backend <name>    cpu, wgpu or cuda, or auto for the best this build and machine have
                      (default auto)
  --devices <list>    split the run over these devices, data-parallel: GPU numbers such as
                      0,1 (CUDA's, or wgpu's discrete GPUs); each trains on its share of every
                      batch and the gradients are summed. On the CPU, one copy per number, all
                      sharing its cores (the page's CPU workers). Default: one device
  --save <file>       write the trained model as the page's 'Download model' does: its
                      weights in the safetensors format, the run's settings in its metadata
  --export <file>     write the run as the page's 'Export runs (JSON)' does, so 'Import runs'
                      shows it beside the browser's runs, with where it ran
  --quiet             print nothing but errors (for scripts)
  --json              print one JSON object per line: start, each epoch, the finished run
";

/// How much the runner prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// Progress bars and the page's summary in words.
    #[default]
    Words,
    /// Nothing but errors.
    Quiet,
    /// One JSON object per line.
    Json,
}

/// Which compute backend trains the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// The best this build and machine have: CUDA, then wgpu, then the CPU.
    #[default]
    Auto,
    /// Burn's CPU backend (Flex).
    Cpu,
    /// Burn's wgpu backend: Vulkan, Metal or DirectX 12.
    Wgpu,
    /// Burn's CUDA backend.
    Cuda,
}

impl BackendChoice {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "auto" => Self::Auto,
            "cpu" => Self::Cpu,
            "wgpu" => Self::Wgpu,
            "cuda" => Self::Cuda,
            other => {
                return Err(format!(
                    "unknown backend '{other}' (one of auto, cpu, wgpu, cuda)"
                ));
            }
        })
    }
}

/// What the command line asked for.
#[derive(Debug, Default, PartialEq)]
pub struct Args {
    /// The share link.
    pub link: String,
    /// A folder of class folders to train on instead of the link's dataset.
    pub data: Option<PathBuf>,
    /// How photos are made square.
    pub fit: Fit,
    /// Where the built-in datasets are.
    pub datasets: Option<PathBuf>,
    /// The model file to start from.
    pub start: Option<PathBuf>,
    /// The model file to distil from.
    pub teacher: Option<PathBuf>,
    /// Runs to train and average (1: no ensemble).
    pub members: usize,
    /// Which backend.
    pub backend: BackendChoice,
    /// The devices the run is split over (`[0]` unless `--devices` says otherwise).
    pub devices: Vec<usize>,
    /// Where to write the model file.
    pub save: Option<PathBuf>,
    /// Where to write the runs file.
    pub export: Option<PathBuf>,
    /// How much to print.
    pub output: Output,
}

/// A command of the runner.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Train a link.
    Train(Box<Args>),
    /// List the pretrained starts.
    Pretrained,
}

/// Reads the arguments after the program's name; `Err("")` asks for the usage text.
pub fn parse_command(args: &[String]) -> Result<Command, String> {
    if args.first().map(String::as_str) == Some("pretrained") {
        return Ok(Command::Pretrained);
    }
    parse_args(args).map(|a| Command::Train(Box::new(a)))
}

/// Reads the arguments of `train`; `Err("")` asks for the usage text.
pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("train") => {}
        Some("-h" | "--help" | "help") | None => return Err(String::new()),
        Some(other) => {
            return Err(format!(
                "unknown command '{other}' (the commands are 'train' and 'pretrained')"
            ));
        }
    }
    let mut link = None;
    let mut parsed = Args {
        devices: vec![0],
        ..Args::default()
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => link = Some(value()?),
            "--data" => parsed.data = Some(PathBuf::from(value()?)),
            "--datasets" => parsed.datasets = Some(PathBuf::from(value()?)),
            "--fit" => {
                parsed.fit = match value()?.as_str() {
                    "crop" => Fit::Crop,
                    "pad" => Fit::Pad,
                    other => return Err(format!("unknown fit '{other}' (crop or pad)")),
                }
            }
            "--backend" => parsed.backend = BackendChoice::parse(&value()?)?,
            "--devices" => parsed.devices = parse_devices(&value()?)?,
            "--start" => parsed.start = Some(PathBuf::from(value()?)),
            "--teacher" => parsed.teacher = Some(PathBuf::from(value()?)),
            "--members" => {
                let max = tradeoff_core::ensemble::MAX_MEMBERS;
                parsed.members = match value()?.parse::<usize>() {
                    Ok(k) if (1..=max).contains(&k) => k,
                    _ => return Err(format!("--members takes a whole number from 1 to {max}")),
                }
            }
            "--save" => parsed.save = Some(PathBuf::from(value()?)),
            "--export" => parsed.export = Some(PathBuf::from(value()?)),
            "--quiet" | "-q" => parsed.output = Output::Quiet,
            "--json" => parsed.output = Output::Json,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    parsed.link = link.ok_or("--url '<link>' is required")?;
    Ok(parsed)
}

/// The device numbers of `--devices`: distinct, at most the page's most CPU workers.
fn parse_devices(list: &str) -> Result<Vec<usize>, String> {
    let max = tradeoff_core::parallel::MAX_WORKERS;
    let wrong = || format!("--devices takes distinct device numbers such as 0,1 (at most {max})");
    let devices = list
        .split(',')
        .map(|n| n.trim().parse::<usize>().map_err(|_| wrong()))
        .collect::<Result<Vec<_>, _>>()?;
    let distinct = devices
        .iter()
        .enumerate()
        .all(|(i, d)| !devices[..i].contains(d));
    if devices.is_empty() || devices.len() > max || !distinct {
        return Err(wrong());
    }
    Ok(devices)
}

/// The hash of a link, whole or already cut at '#'.
pub fn hash_of(link: &str) -> &str {
    link.split_once('#').map_or(link, |(_, hash)| hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_every_option_and_names_what_is_wrong() {
        let parsed = parse_args(&args(&[
            "train",
            "--url",
            "http://x/#v=1",
            "--data",
            "photos",
            "--fit",
            "pad",
            "--datasets",
            "d",
            "--backend",
            "wgpu",
            "--export",
            "runs.json",
            "--start",
            "mnist.safetensors",
            "--json",
        ]))
        .unwrap();
        assert_eq!(parsed.link, "http://x/#v=1");
        assert_eq!(parsed.data, Some(PathBuf::from("photos")));
        assert_eq!(parsed.fit, Fit::Pad);
        assert_eq!(parsed.datasets, Some(PathBuf::from("d")));
        assert_eq!(parsed.backend, BackendChoice::Wgpu);
        assert_eq!(parsed.export, Some(PathBuf::from("runs.json")));
        assert_eq!(parsed.save, None);
        assert_eq!(parsed.start, Some(PathBuf::from("mnist.safetensors")));
        assert_eq!(
            parse_command(&args(&["pretrained"])),
            Ok(Command::Pretrained)
        );
        assert_eq!(parsed.output, Output::Json);
        assert_eq!(hash_of(&parsed.link), "v=1");
        assert_eq!(hash_of("v=1&bs=2"), "v=1&bs=2");
        let quiet = parse_args(&args(&["train", "--url", "#v=1", "-q"])).unwrap();
        assert_eq!(quiet.output, Output::Quiet);
        assert_eq!(quiet.backend, BackendChoice::Auto);
        assert!(parse_args(&args(&["train"])).unwrap_err().contains("--url"));
        let unknown = |list: &[&str]| parse_args(&args(list)).unwrap_err();
        assert!(unknown(&["fly"]).contains("unknown command"));
        assert!(unknown(&["train", "--url"]).contains("needs a value"));
        assert!(unknown(&["train", "--url", "#", "--backend", "tpu"]).contains("cpu, wgpu, cuda"));
        assert!(unknown(&["train", "--url", "#", "--fit", "zoom"]).contains("crop or pad"));
        assert_eq!(quiet.devices, vec![0]);
        let split = parse_args(&args(&["train", "--url", "#", "--devices", "0, 2"])).unwrap();
        assert_eq!(split.devices, vec![0, 2]);
        for bad in ["0,0", "a", "", "0,1,2,3,4,5,6,7,8"] {
            assert!(
                unknown(&["train", "--url", "#", "--devices", bad]).contains("distinct device"),
                "{bad}"
            );
        }
        assert_eq!(parse_args(&args(&["--help"])).unwrap_err(), "");
    }
}
