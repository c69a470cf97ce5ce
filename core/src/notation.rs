//! The layer notation of links and of the page's layer editor: `c8k3-p2-c16k3-p2-d64`.
//!
//! Layer tokens, joined by `-`:
//! - `c8k3` conv, 8 filters, 3×3; then optionally `s2` (stride), `p1` (padding), and
//!   suffixes `.bn` (batch norm) and `.gelu` / `.tanh` / `.sigmoid` (ReLU when absent);
//! - `p2` max pool 2×2, `a2` average pool 2×2;
//! - `d64` dense, 64 units, with the same suffixes as conv;
//! - `drop0.25` dropout with p = 0.25.

use crate::config::{Activation, Layer, PoolKind, limits};
use crate::i18n::Message;
use crate::msg;

fn layer_token(layer: &Layer) -> String {
    let suffix = |activation: Activation, batch_norm: bool| {
        let mut s = String::new();
        if batch_norm {
            s += ".bn";
        }
        if activation != Activation::Relu {
            s += ".";
            s += activation.name();
        }
        s
    };
    match *layer {
        Layer::Conv {
            filters,
            kernel,
            stride,
            padding,
            activation,
            batch_norm,
        } => {
            let mut s = format!("c{filters}k{kernel}");
            if stride != 1 {
                s += &format!("s{stride}");
            }
            if padding != 0 {
                s += &format!("p{padding}");
            }
            s + &suffix(activation, batch_norm)
        }
        Layer::Pool {
            pool: PoolKind::Max,
            size,
        } => format!("p{size}"),
        Layer::Pool {
            pool: PoolKind::Avg,
            size,
        } => format!("a{size}"),
        Layer::Dense {
            units,
            activation,
            batch_norm,
        } => format!("d{units}{}", suffix(activation, batch_norm)),
        // Plain decimal: an exponent's '-' would split the token.
        Layer::Dropout { p } => format!("drop{p}"),
    }
}

/// The layer stack's URL form, e.g. `c8k3-p2-c16k3-p2-d64`.
pub fn layers_to_string(layers: &[Layer]) -> String {
    layers.iter().map(layer_token).collect::<Vec<_>>().join("-")
}

/// Splits `name<number>` off the front of a token, e.g. `("c", "8k3")` → `8`, rest `k3`.
fn take_number<'a>(s: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = s.strip_prefix(prefix)?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| rest.split_at(end))
}

fn parse_suffixes(token: &str, suffixes: &str) -> Result<(Activation, bool), Message> {
    let mut activation = Activation::Relu;
    let mut batch_norm = false;
    if suffixes.is_empty() {
        return Ok((activation, batch_norm));
    }
    let Some(list) = suffixes.strip_prefix('.') else {
        return Err(msg!(
            "'{}' has unexpected text '{}'",
            clip(token),
            clip(suffixes)
        ));
    };
    for part in list.split('.').take(4) {
        if part == "bn" {
            batch_norm = true;
        } else if let Some(a) = Activation::from_name(part) {
            activation = a;
        } else {
            return Err(msg!(
                "'{}': unknown suffix '.{}' (use .bn, .relu, .gelu, .tanh or .sigmoid)",
                clip(token),
                clip(part)
            ));
        }
    }
    Ok((activation, batch_norm))
}

fn parse_layer(token: &str) -> Result<Layer, Message> {
    let small = |n: &str| n.parse::<usize>().ok().filter(|&n| n <= 1_000_000);
    let bad_number = || msg!("'{}' has a number that is too large", clip(token));
    if let Some(p) = token.strip_prefix("drop") {
        return match p.parse::<f64>() {
            Ok(p) if p.is_finite() => Ok(Layer::Dropout { p }),
            _ => Err(msg!("'{}': dropout is written drop0.25", clip(token))),
        };
    }
    if let Some((filters, rest)) = take_number(token, "c") {
        let (kernel, mut rest) = take_number(rest, "k")
            .ok_or_else(|| msg!("'{}': a conv is written c8k3", clip(token)))?;
        let mut stride = 1;
        let mut padding = 0;
        if let Some((s, r)) = take_number(rest, "s") {
            stride = small(s).ok_or_else(bad_number)?;
            rest = r;
        }
        if let Some((p, r)) = take_number(rest, "p") {
            padding = small(p).ok_or_else(bad_number)?;
            rest = r;
        }
        let (activation, batch_norm) = parse_suffixes(token, rest)?;
        return Ok(Layer::Conv {
            filters: small(filters).ok_or_else(bad_number)?,
            kernel: small(kernel).ok_or_else(bad_number)?,
            stride,
            padding,
            activation,
            batch_norm,
        });
    }
    if let Some((units, rest)) = take_number(token, "d") {
        let (activation, batch_norm) = parse_suffixes(token, rest)?;
        return Ok(Layer::Dense {
            units: small(units).ok_or_else(bad_number)?,
            activation,
            batch_norm,
        });
    }
    for (prefix, pool) in [("p", PoolKind::Max), ("a", PoolKind::Avg)] {
        if let Some((size, rest)) = take_number(token, prefix) {
            if !rest.is_empty() {
                break;
            }
            return Ok(Layer::Pool {
                pool,
                size: small(size).ok_or_else(bad_number)?,
            });
        }
    }
    Err(msg!(
        "'{}' is not a layer (c8k3 conv, p2 max pool, a2 average pool, d64 dense, drop0.25 dropout)",
        clip(token)
    ))
}

/// Reads the layer stack's notation; the message names the layer ("layer 2: …").
pub fn parse_layers(value: &str) -> Result<Vec<Layer>, Message> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut layers = Vec::new();
    for (i, token) in value.split('-').enumerate() {
        if i >= limits::MAX_LAYERS {
            return Err(msg!("more than {} layers", limits::MAX_LAYERS));
        }
        layers.push(parse_layer(token).map_err(|m| msg!("layer {}: {m}", i + 1, m = m))?);
    }
    Ok(layers)
}

/// Writes a float so it reads back bit-identically, in exponent form for small values (`1e-3`).
pub fn float_text(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Shortens a user-supplied value for an error message.
pub fn clip(value: &str) -> String {
    const MAX: usize = 24;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        value.chars().take(MAX).collect::<String>() + "…"
    }
}
