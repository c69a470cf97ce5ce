//! The page's components, one per file.

pub mod charts;
pub mod data_panel;
pub mod fields;
pub mod model_editor;
pub mod notices;
pub mod run_details;
pub mod runs_table;
pub mod thumbnail;
pub mod training_form;
