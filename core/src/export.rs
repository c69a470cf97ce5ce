//! Taking runs away and bringing them back: all runs as JSON, the runs table as CSV.

use crate::i18n::Message;
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::record::RunRecord;
use crate::setting::SETTINGS;
use crate::url::dataset_classes;

/// The `format` field of an exported runs file.
pub const FORMAT: &str = "tradeoff-runs";
/// The version of the runs file this build writes and reads.
pub const VERSION: u32 = 1;
/// Largest runs file read back (a run with its curves and 36 test images is about 60 KB).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// An exported runs file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The runs, oldest first.
    pub runs: Vec<RunRecord>,
}

/// All `runs` as the JSON of a runs file.
pub fn runs_to_json(runs: &[RunRecord]) -> String {
    let file = RunsFile {
        format: FORMAT.into(),
        version: VERSION,
        runs: runs.to_vec(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// Reads a runs file; every run's config is checked as a link's would be. The message names
/// what is wrong.
pub fn runs_from_json(text: &str) -> Result<Vec<RunRecord>, Message> {
    if text.len() > MAX_FILE_BYTES {
        return Err(msg!(
            "the file is {} MB, over the {} MB a runs file may have",
            text.len() >> 20,
            MAX_FILE_BYTES >> 20
        ));
    }
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
    }
    let header: Header = serde_json::from_str(text)
        .map_err(|_| msg!("it is not a Tradeoff runs file (not JSON, or not an object)"))?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(msg!(
            "it is not a Tradeoff runs file (no \"format\": \"tradeoff-runs\")"
        ));
    }
    if header.version != Some(VERSION) {
        return Err(msg!(
            "it is runs file version {}, and this page reads version {VERSION}",
            header
                .version
                .map_or("(none)".to_string(), |v| v.to_string()),
            VERSION = VERSION
        ));
    }
    let file: RunsFile = serde_json::from_str(text)
        .map_err(|e| msg!("a run in it is not readable: {e}", e = e.to_string()))?;
    for (i, run) in file.runs.iter().enumerate() {
        let classes = dataset_classes(&run.config.dataset)
            .ok_or_else(|| msg!("run {} uses an unknown dataset", i + 1))?;
        // Own-image runs may have any number of classes: their summary says how many.
        let classes = run
            .summary
            .as_ref()
            .map_or(classes, |s| s.class_names.len().max(classes));
        run.config
            .validate(classes)
            .map_err(|e| msg!("run {} has settings this page refuses: {}", i + 1, e[0]))?;
    }
    Ok(file.runs)
}

/// Quotes a CSV field when it needs it (RFC 4180), and defuses a leading `=`, `+`, `-` or `@`
/// that a spreadsheet would run as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '@'])
        || (text.starts_with('-') && text.parse::<f64>().is_err())
    {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The result columns of [`runs_to_csv`], after the settings' columns.
const RESULT_COLUMNS: [&str; 12] = [
    "backend",
    "cpu_workers",
    "validation_accuracy",
    "test_accuracy",
    "noise_accuracy",
    "fgsm_accuracy",
    "train_seconds",
    "images_per_second",
    "latency_ms_batch1",
    "params",
    "model_bytes",
    "link",
];

/// Column names of [`runs_to_csv`]: the run and its status, each setting with a CSV column in
/// the settings table, then the results.
pub fn csv_columns() -> Vec<&'static str> {
    let mut columns = vec!["run", "status"];
    columns.extend(SETTINGS.iter().filter_map(|spec| spec.csv));
    columns.extend(RESULT_COLUMNS);
    columns
}

/// The runs table as CSV, one row per run (`(number shown in the table, record)`); figures
/// in plain units, empty where the run has none.
pub fn runs_to_csv(runs: &[(u32, &RunRecord)]) -> String {
    let mut out = csv_columns().join(",") + "\r\n";
    for (id, r) in runs {
        let s = r.summary.as_ref();
        let num = |x: Option<f64>| x.map(|x| format!("{x}")).unwrap_or_default();
        let mut row = vec![id.to_string(), r.status.describe().to_string()];
        row.extend(
            SETTINGS
                .iter()
                .filter(|spec| spec.csv.is_some())
                .filter_map(|spec| spec.plain(&r.config)),
        );
        row.extend([
            r.backend.to_string(),
            r.workers.to_string(),
            num(r.final_validation_accuracy()),
            num(s.map(|s| s.test_accuracy)),
            num(s.and_then(|s| s.noise_accuracy)),
            num(s.and_then(|s| s.fgsm_accuracy)),
            num(s.map(|s| s.train_seconds)),
            num(s.map(|s| s.images_per_second)),
            num(s.map(|s| s.latency_ms_batch1)),
            r.cost.params.to_string(),
            num(s.map(|s| s.model_bytes as f64)),
            format!("#{}", crate::url::to_hash(&r.config)),
        ]);
        out += &row
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
        out += "\r\n";
    }
    out
}
