//! The page's components, one per file.

pub mod action_bar;
pub mod charts;
pub mod classroom;
pub mod compress_panel;
pub mod data_panel;
pub mod distill_panel;
pub mod fields;
pub mod model_editor;
pub mod model_picker;
pub mod notices;
pub mod own_images;
pub mod parallel_coords;
pub mod robustness_panel;
pub mod run_details;
pub mod runs_table;
pub mod start_panel;
pub mod sweep_panel;
pub mod thumbnail;
pub mod tradeoff_chart;
pub mod training_form;
pub mod webcam;
