//! How numbers read on the page and in the command-line runner's summary.

/// `0.974` → `97.4 %`.
pub fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1} %", x * 100.0)
    } else {
        "—".into()
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

/// Large counts in k / M / G: `428608` → `429 k`.
pub fn compact(x: f64) -> String {
    match x.abs() {
        v if v >= 1e9 => format!("{:.2} G", x / 1e9),
        v if v >= 1e6 => format!("{:.2} M", x / 1e6),
        v if v >= 1e3 => format!("{:.0} k", x / 1e3),
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

/// Seconds as `12.3 s` or `2 min 05 s`.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "—".into()
    } else if s < 60.0 {
        // Never "-0.0 s": a run that failed at once took no time.
        format!("{:.1} s", s.max(0.0))
    } else {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// Milliseconds with sensible precision.
pub fn millis(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}
