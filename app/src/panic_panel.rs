//! The panel shown when the page itself panics: its wasm cannot continue after one.

/// Shows an error panel on a panic in the page itself (the page's wasm cannot continue after
/// one), with the details to copy and a reload button; the address bar keeps the config.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let details = info.to_string();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(panel) = document.create_element("div") else {
            return;
        };
        panel.set_class_name("crash-panel page-crash");
        panel.set_attribute("role", "alert").ok();
        let heading = document.create_element("h2").unwrap();
        heading.set_text_content(Some(crate::i18n::t("Something went wrong in the page")));
        let text = document.create_element("p").unwrap();
        text.set_text_content(Some(crate::i18n::t(
            "Your settings are kept in the address bar and your runs in this browser. Reload to continue. To report it, click the details below (one click selects them all) and copy them.",
        )));
        let pre = document.create_element("pre").unwrap();
        pre.set_text_content(Some(&details));
        // A plain link: after a panic no wasm callback can run.
        let reload = document.create_element("a").unwrap();
        reload.set_text_content(Some(crate::i18n::t("Reload")));
        let here = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        reload.set_attribute("href", &here).ok();
        reload.set_class_name("button");
        for child in [&heading, &text, &pre, &reload] {
            panel.append_child(child).ok();
        }
        if let Some(body) = document.body() {
            body.append_child(&panel).ok();
        }
    }));
}
