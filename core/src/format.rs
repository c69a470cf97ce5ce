//! How numbers read on the page and in the command-line runner's summary, per language.
//!
//! Chinese readers group large counts in 万 (10⁴) and 亿 (10⁸) and write units as words
//! (秒, 毫秒); digits, separators and byte units are the same in both languages.

use crate::i18n::Lang;

/// `0.974` → `97.4 %` (Chinese: `97.4%`).
pub fn percent(lang: Lang, x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    match lang {
        Lang::En => format!("{:.1} %", x * 100.0),
        Lang::Zh => format!("{:.1}%", x * 100.0),
    }
}

/// `27562` → `27,562`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Large counts, short: `428608` → `429 k` (Chinese: `42.9万`).
pub fn compact(lang: Lang, x: f64) -> String {
    match (lang, x.abs()) {
        (Lang::En, v) if v >= 1e9 => format!("{:.2} G", x / 1e9),
        (Lang::En, v) if v >= 1e6 => format!("{:.2} M", x / 1e6),
        (Lang::En, v) if v >= 1e3 => format!("{:.0} k", x / 1e3),
        (Lang::Zh, v) if v >= 1e8 => format!("{:.2}亿", x / 1e8),
        (Lang::Zh, v) if v >= 1e4 => format!("{:.1}万", x / 1e4),
        _ => format!("{x:.0}"),
    }
}

/// Bytes in KB / MB.
pub fn bytes(n: u64) -> String {
    let x = n as f64;
    if x >= 1e6 {
        format!("{:.1} MB", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.0} KB", x / 1e3)
    } else {
        format!("{n} B")
    }
}

/// Seconds as `12.3 s` or `2 min 05 s` (Chinese: `12.3 秒`, `2 分 05 秒`).
pub fn seconds(lang: Lang, s: f64) -> String {
    if !s.is_finite() {
        return "—".into();
    }
    // Never "-0.0 s": a run that failed at once took no time.
    let s = s.max(0.0);
    let (min, sec) = match lang {
        Lang::En => ("min", "s"),
        Lang::Zh => ("分", "秒"),
    };
    if s < 60.0 {
        format!("{s:.1} {sec}")
    } else {
        format!("{} {min} {:02} {sec}", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// Milliseconds with sensible precision (Chinese: 毫秒); `—` for a figure not measured (NaN).
pub fn millis(lang: Lang, ms: f64) -> String {
    let unit = match lang {
        Lang::En => "ms",
        Lang::Zh => "毫秒",
    };
    if !ms.is_finite() {
        return "—".into();
    }
    if ms < 1.0 {
        format!("{ms:.3} {unit}")
    } else {
        format!("{ms:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally_in_each_language() {
        assert_eq!(percent(Lang::En, 0.974), "97.4 %");
        assert_eq!(percent(Lang::Zh, 0.974), "97.4%");
        assert_eq!(compact(Lang::En, 428_608.0), "429 k");
        assert_eq!(compact(Lang::Zh, 428_608.0), "42.9万");
        assert_eq!(compact(Lang::Zh, 123_000_000.0), "1.23亿");
        assert_eq!(seconds(Lang::En, 125.0), "2 min 05 s");
        assert_eq!(seconds(Lang::Zh, 9.34), "9.3 秒");
        assert_eq!(millis(Lang::Zh, 2.0), "2.0 毫秒");
        assert_eq!(count(27_562), "27,562");
        // A figure that was not measured reads as a dash, in every unit.
        assert_eq!(millis(Lang::En, f64::NAN), "—");
        assert_eq!(seconds(Lang::Zh, f64::NAN), "—");
    }
}
