//! The settings table: one entry per setting, each consistent with itself, so a new option
//! is one entry there.

use std::collections::BTreeSet;

use tradeoff_core::config::RunConfig;
use tradeoff_core::export::csv_columns;
use tradeoff_core::setting::{Kind, SETTINGS, Setting};
use tradeoff_core::sweep::{Axis, axis_choices};
use tradeoff_core::url::{from_hash, to_hash};

#[test]
fn every_setting_has_one_entry_with_its_own_key() {
    let settings: BTreeSet<Setting> = Setting::all().collect();
    assert_eq!(settings.len(), SETTINGS.len(), "a setting listed twice");
    let keys: BTreeSet<&str> = SETTINGS.iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), SETTINGS.len(), "two settings share a key");
    for spec in &SETTINGS {
        assert_eq!(Setting::from_key(spec.key), Some(spec.setting));
        assert_eq!(spec.setting.spec().key, spec.key);
        // Keys a link can hold must not clash with the link's own keys.
        assert!(!["v", "hide", "lock", "lesson", "r"].contains(&spec.key));
    }
    let columns = csv_columns();
    let unique: BTreeSet<&&str> = columns.iter().collect();
    assert_eq!(unique.len(), columns.len(), "{columns:?}");
}

#[test]
fn each_entry_reads_back_what_it_writes_and_accepts_its_default() {
    // A config with every setting off its default, so each entry is written to the link.
    let changed = from_hash(
        "v=1&ds=fashion-mnist&in=32x3&layers=c4k3.bn-a2-d16.tanh-drop0.1&opt=momentum&lr=0.02\
         &sched=step:3:0.25&warm=40&wd=5e-4&mom=0.5&bs=32&ep=3&val=0.2&aug=flip,shift2,rot15,noise0.05&pat=2\
         &ls=0.1&loss=mse&seed=99&init=normal&isd=0.1&start=pre:mnist-cnn&freeze=2&tlr=0.1&teacher=run:2&temp=2&alpha=0.5\
         &noise=0.1&eps=0.05&adv=0.25&be=cpu&workers=2",
    )
    .unwrap()
    .config;
    for config in [RunConfig::default(), changed.clone()] {
        for spec in &SETTINGS {
            let Some(text) = spec.print(&config) else {
                assert!(matches!(spec.kind, Kind::Panel));
                continue;
            };
            // Written into a config that differs everywhere, the value reads back whole.
            let mut other = if config == changed {
                RunConfig::default()
            } else {
                changed.clone()
            };
            spec.parse(&mut other, &text).unwrap();
            assert_eq!(
                spec.print(&other).as_deref(),
                Some(text.as_str()),
                "{}",
                spec.key
            );
            assert_eq!(spec.range_problem(&config), None, "{}", spec.key);
            assert!(spec.describe(&config, Default::default()).is_some());
        }
        assert_eq!(from_hash(&to_hash(&config)).unwrap().config, config);
    }
    // Every setting the changed config sets is in its link.
    let link = to_hash(&changed);
    for spec in SETTINGS.iter().filter(|s| !matches!(s.kind, Kind::Panel)) {
        assert!(
            link.contains(&format!("&{}=", spec.key)),
            "{} missing: {link}",
            spec.key
        );
    }
}

#[test]
fn sweepable_settings_are_sweep_axes_that_read_their_suggestions() {
    let choices = axis_choices();
    for spec in SETTINGS.iter().filter(|s| s.sweep.is_some()) {
        let (_, label, suggested) = choices
            .iter()
            .find(|(id, _, _)| *id == spec.key)
            .unwrap_or_else(|| panic!("{} is not offered", spec.key));
        assert_eq!(*label, spec.label);
        assert!(matches!(
            Axis::parse(spec.key, suggested).unwrap(),
            Axis::Setting(s, _) if s == spec.setting
        ));
    }
}
