//! Key coverage: every piece of text the page can show has a Chinese entry.
//!
//! Text reaches the page in three marked ways — `t("…")` and `tr!(lang, "…")` in the app,
//! `msg!("…")` for messages made in core and in the worker, `.text("…")` for core code that
//! knows the language — plus the data tables below (lessons, datasets). This test reads the
//! sources for those keys, as a translator's tool would, and fails on any key without a
//! translation, on a translation whose slots differ from its key's, and on catalogue entries
//! nothing uses any more.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tradeoff_core::i18n::{Lang, catalogue_keys, chinese, template_parts};

/// Every `.rs` file under a folder.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literal starting at `src[0]` (a `"`), unescaped.
fn literal(src: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = src.chars().skip(1);
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'u' => {
                    let code: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&code, 16).ok()?)?);
                }
                // A line continuation: the newline and the next line's indent are dropped.
                '\n' => {
                    let rest: String = chars.clone().collect();
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in 0..rest[..skip].chars().count() {
                        chars.next();
                    }
                }
                other => panic!("unexpected escape \\{other}"),
            },
            c => out.push(c),
        }
    }
    None
}

/// The keys one source file marks for translation, with the line each is on.
fn keys_in(src: &str) -> Vec<(String, usize)> {
    const MARKERS: [&str; 5] = ["t(", "key(", ".text(", "msg!(", "tr!("];
    let mut keys = Vec::new();
    for (at, _) in src.char_indices() {
        let rest = &src[at..];
        let Some(marker) = MARKERS.iter().find(|m| rest.starts_with(**m)) else {
            continue;
        };
        // `t(` only as a whole name: not `split(`, `Cell::set(`.
        if !marker.starts_with('.')
            && src[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        let mut args = &rest[marker.len()..];
        if *marker == "tr!(" {
            // The language comes first: `tr!(lang(), "…"`.
            let Some(quote) = args.find('"') else {
                continue;
            };
            args = &args[quote..];
        }
        let args = args.trim_start();
        if args.starts_with('"') {
            let line = src[..at].matches('\n').count() + 1;
            keys.push((literal(args).expect("closed literal"), line));
        }
    }
    keys
}

fn slot_names(template: &str) -> BTreeSet<String> {
    template_parts(template).1.into_iter().collect()
}

/// Every source file whose text can reach the page: core's and the app's.
fn page_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["core/src", "app/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    files
}

#[test]
fn every_key_has_a_chinese_entry_with_the_same_slots() {
    let files = page_sources();
    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file).expect("readable source");
        // The catalogue itself and this module's own examples are not page text.
        if file.ends_with("i18n/zh.rs") || file.ends_with("core/src/i18n.rs") {
            continue;
        }
        for (key, line) in keys_in(&src) {
            if chinese(&key).is_none() {
                missing.push(format!("{}:{line}: {key:?}", file.display()));
            }
            used.insert(key);
        }
    }
    assert!(
        missing.is_empty(),
        "{} keys have no Chinese entry:\n{}",
        missing.len(),
        missing.join("\n")
    );

    let mut bad = Vec::new();
    for key in catalogue_keys() {
        let zh = chinese(key).expect("an entry");
        if !used.contains(key) {
            bad.push(format!("unused entry {key:?}"));
        }
        if zh.trim().is_empty() {
            bad.push(format!("empty translation for {key:?}"));
        }
        // A translation may leave out a slot (an English plural's "s"), never invent one.
        if !slot_names(zh).is_subset(&slot_names(key)) {
            bad.push(format!("slots differ: {key:?} → {zh:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn a_core_message_reads_in_chinese_with_its_values() {
    // A bad link's message is made in English deep in core and translated where shown.
    let errors = tradeoff_core::url::from_hash("#v=1&lr=abc").expect_err("a bad number");
    let english = errors[0].to_string();
    let chinese = errors[0].describe().text(Lang::Zh);
    assert_ne!(chinese, english, "{english}");
    assert!(chinese.contains("abc"), "the value survives: {chinese}");

    // Nested: the key, then the field's name and its rule, each translated.
    let errors = tradeoff_core::url::from_hash("#v=1&bs=0").expect_err("batch size 0");
    assert_eq!(
        errors[0].describe().text(Lang::Zh),
        "bs：批大小：必须在 1 到 1024 之间"
    );
}

#[test]
fn every_word_class_name_in_the_shipped_datasets_is_translated() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/datasets");
    for dataset in tradeoff_core::data::BUILTIN_DATASETS {
        let bytes = std::fs::read(root.join(dataset.file)).expect("a shipped dataset");
        let data = tradeoff_core::data::Dataset::from_tds(&bytes).expect("a readable dataset");
        for name in &data.preview(0).classes {
            let name = name.as_str();
            if name.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            assert!(
                tradeoff_core::data::CLASS_NAMES.contains(&name),
                "{}: class {name:?} is not in data::CLASS_NAMES",
                dataset.id
            );
            assert!(chinese(name).is_some(), "{name:?} has no Chinese entry");
        }
    }
}

/// A message made with a plain `format!` and handed back as an error reaches the page in
/// English whatever the reader's language: every such message must be a marked `msg!`.
#[test]
fn no_error_message_is_an_unmarked_format() {
    let mut unmarked = Vec::new();
    for file in page_sources() {
        let src = std::fs::read_to_string(&file).expect("source file");
        // Joined lines, so `Err(\n    format!(` is seen too.
        let flat: String = src.split_whitespace().collect::<Vec<_>>().join(" ");
        for pattern in [
            "Err(format!(",
            "map_err(|e| format!(",
            "ok_or_else(|| format!(",
        ] {
            if flat.contains(pattern) {
                unmarked.push(format!("{}: {pattern}", file.display()));
            }
        }
    }
    assert!(
        unmarked.is_empty(),
        "use msg! for:\n{}",
        unmarked.join("\n")
    );
}

/// The arguments after a `msg!` template, up to its closing parenthesis (`src` starts just
/// after the template's closing quote).
fn arguments(src: &str) -> &str {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in src.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ if in_string => {}
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return &src[..at],
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    src
}

/// A message keeps its values by name: a `{name}` slot written without `name = value` would
/// be captured by `format!` for English but arrive empty in the `Message` every language
/// is written from.
#[test]
fn every_named_slot_of_a_message_is_given_its_value() {
    let mut missing = Vec::new();
    for file in page_sources() {
        let src = std::fs::read_to_string(&file).expect("source file");
        if file.ends_with("core/src/i18n.rs") {
            continue;
        }
        for (at, _) in src.match_indices("msg!(") {
            let rest = src[at + 5..].trim_start();
            if !rest.starts_with('"') {
                continue;
            }
            let template = literal(rest).expect("closed literal");
            // The literal's length in the source: find its closing quote.
            let mut end = 1;
            let bytes = rest.as_bytes();
            while bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let args = arguments(&rest[end + 1..]);
            let given: BTreeSet<String> = args
                .split(',')
                .filter_map(|a| {
                    let (name, _) = a.split_once('=')?;
                    let name = name.trim();
                    name.chars()
                        .all(|c| c.is_alphanumeric() || c == '_')
                        .then(|| name.to_string())
                })
                .collect();
            for name in slot_names(&template) {
                if name.parse::<usize>().is_err() && !given.contains(&name) {
                    let line = src[..at].matches('\n').count() + 1;
                    missing.push(format!(
                        "{}:{line}: {{{name}}} in {template:?}",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "give these slots as `name = value`:\n{}",
        missing.join("\n")
    );
}
