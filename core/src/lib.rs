//! Tradeoff's engine: everything that is not UI.
//!
//! The run config ([`config`]) and its link form ([`url`]); what a layer stack costs
//! ([`cost`]); datasets and batching ([`data`]); the Burn model ([`model`]); the async training
//! loop ([`train`]); metrics and run records ([`metrics`], [`record`]) and how their numbers read ([`format`]); compute backends
//! ([`backend`]); comparing runs ([`compare`]); how robust a model is to noise and attacks ([`robust`]); ensembles of trained models ([`ensemble`]); splitting a run over several CPU workers ([`parallel`]) or, natively, several devices ([`devices`]); compressing trained models ([`compress`]) and saving them ([`weights`]); the user's own images ([`own_images`]), checked before decoding ([`sniff`]) and read from archives ([`zip`]); sweeps and budgets ([`sweep`]); exporting and importing runs ([`export`]); the messages between the page and its training worker ([`protocol`]); teacher mode and lessons ([`classroom`]); results carried in links ([`share`]); and the interface's two languages ([`i18n`]).

pub mod backend;
pub mod classroom;
pub mod compare;
pub mod compress;
pub mod config;
pub mod cost;
pub mod data;
#[cfg(all(feature = "engine", not(target_family = "wasm")))]
pub mod devices;
pub mod ensemble;
pub mod export;
pub mod format;
pub mod i18n;
pub mod metrics;
#[cfg(feature = "engine")]
pub mod model;
pub mod notation;
#[cfg(feature = "engine")]
pub mod objective;
pub mod own_images;
pub mod parallel;
pub mod protocol;
pub mod record;
pub mod rng;
#[cfg(feature = "engine")]
pub mod robust;
pub mod setting;
pub mod share;
pub mod sniff;
pub mod sweep;
#[cfg(feature = "engine")]
pub mod train;
pub mod transfer;
pub mod url;
pub mod validate;
pub mod weights;
pub mod zip;
