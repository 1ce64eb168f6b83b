//! Planning 100,000 postings in headless Chromium, timed with `performance.now()` (bar: < 1 s).
//! Ignored by the test command; `cargo xtask bench` runs it in release mode with `--include-ignored
//! --nocapture` and reads the `bench plan_wasm_ms=` line it prints.
#![cfg(target_arch = "wasm32")]

mod common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::collections::HashMap;

use srm_xero_shared::{MappingSettings, PlanRequest, plan};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

#[wasm_bindgen_test]
#[ignore = "a benchmark: cargo xtask bench"]
fn planning_100k_postings_in_the_browser() {
    let performance = web_sys::window().unwrap().performance().unwrap();
    let postings = common::big_gl(100_000);
    let reference = common::reference();
    let settings = MappingSettings::default();
    let exported = HashMap::new();
    let request = PlanRequest {
        postings: &postings,
        settings: &settings,
        exported: &exported,
        from: common::day("2019-08-01"),
        export_number: None,
        reference: &reference,
    };
    // One warm-up run, then the best and the median of five.
    let warm = plan(&request);
    let postable = warm.journals.iter().filter(|j| j.is_postable()).count();
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let started = performance.now();
            let planned = plan(&request);
            let elapsed = performance.now() - started;
            assert_eq!(planned.journals.len(), warm.journals.len());
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    console_log!(
        "bench plan_wasm_ms={:.1} plan_wasm_best_ms={:.1} journals={} postable={postable}",
        times[2],
        times[0],
        warm.journals.len()
    );
}
