//! Tradeoff's engine: everything that is not UI.
//!
//! The run config ([`config`]) and its link form ([`url`]); what a layer stack costs
//! ([`cost`]); datasets and batching ([`data`]); the Burn model ([`model`]); the async training
//! loop ([`train`]); metrics and run records ([`metrics`], [`record`]); compute backends
//! ([`backend`]); comparing runs ([`compare`]); compressing trained models ([`compress`]); sweeps and budgets ([`sweep`]); and the messages between the page and its training worker ([`protocol`]).

pub mod backend;
pub mod compare;
pub mod compress;
pub mod config;
pub mod cost;
pub mod data;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod record;
pub mod rng;
pub mod sweep;
pub mod train;
pub mod url;
