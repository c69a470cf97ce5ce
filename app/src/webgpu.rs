//! The browser's WebGPU adapter, asked for the same way by the page (to decide whether to load
//! the WebGPU worker at all) and by the worker (to name it on runs and size buffers to it).

use js_sys::Promise;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What runs need to know of the browser's WebGPU adapter.
#[derive(Clone)]
pub struct Adapter {
    /// As runs show it, e.g. `webgpu (google swiftshader)`.
    pub name: String,
    /// Bytes one buffer may hold (the smaller of the adapter's storage-binding and buffer
    /// limits).
    #[allow(
        dead_code,
        reason = "read by the workers; the page needs only the name"
    )]
    pub max_buffer: u64,
}

/// The name runs show for the browser's WebGPU adapter (e.g. `webgpu (google swiftshader)`),
/// or why WebGPU cannot be used here, in words a person can act on. Checked before Burn is
/// asked for a device.
pub async fn adapter() -> Result<Adapter, Message> {
    let get = |object: &JsValue, key: &str| {
        js_sys::Reflect::get(object, &key.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let no_webgpu = || msg!("this browser offers no WebGPU");
    let gpu = get(&js_sys::global(), "navigator")
        .and_then(|n| get(&n, "gpu"))
        .ok_or_else(no_webgpu)?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(no_webgpu)?;
    let adapter = match request.call0(&gpu) {
        Ok(promise) => JsFuture::from(Promise::from(promise)).await.ok(),
        Err(_) => None,
    };
    let adapter = adapter.filter(|a| !a.is_null() && !a.is_undefined()).ok_or_else(|| {
        msg!("this browser's WebGPU found no usable graphics adapter (it may be switched off, or the GPU blocked)")
    })?;
    let info = get(&adapter, "info");
    let words: Vec<String> = ["vendor", "architecture"]
        .iter()
        .filter_map(|k| {
            info.as_ref()
                .and_then(|i| get(i, k))
                .and_then(|v| v.as_string())
        })
        .filter(|w| !w.is_empty())
        .collect();
    let name = if words.is_empty() {
        "webgpu".to_string()
    } else {
        format!("webgpu ({})", words.join(" "))
    };
    // WebGPU's defaults when an adapter does not say: 128 MiB bindings, 256 MiB buffers.
    let limit = |key: &str, default: f64| {
        get(&adapter, "limits")
            .and_then(|l| get(&l, key))
            .and_then(|v| v.as_f64())
            .unwrap_or(default)
    };
    let max_buffer = limit("maxStorageBufferBindingSize", 134_217_728.0)
        .min(limit("maxBufferSize", 268_435_456.0)) as u64;
    Ok(Adapter { name, max_buffer })
}
