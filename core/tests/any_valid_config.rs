//! Validation is a promise: any config it accepts builds its model and trains without a panic.

mod common;

use common::config;
use proptest::prelude::*;
use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::record::RunStatus;
use tradeoff_core::train::{Event, Trainer};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_config_builds_and_takes_a_training_step(config in config()) {
        let _one = common::ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        // A few images, so an epoch is one or two steps whatever the batch size.
        let data = common::mnist_slice(96, 16);
        let mut trainer = Trainer::new(config.clone(), &data, cpu_device(), CPU_BACKEND_NAME)
            .map_err(|e| TestCaseError::fail(format!("{config:?}: {e}")))?;
        let events = pollster::block_on(trainer.advance());
        for event in events {
            if let Event::Finished(record) = event {
                // Ending at once is fine (a diverging learning rate); failing is not.
                prop_assert!(
                    !matches!(record.status, RunStatus::Failed { .. }),
                    "{:?}: {:?}", config, record.status
                );
            }
        }
    }
}
