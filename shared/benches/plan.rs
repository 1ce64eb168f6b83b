//! Planning 100,000 postings into journals, natively (`cargo xtask bench`; bar: < 0.2 s).
//! The same work in headless Chromium is `shared/tests/plan_speed.rs`.

// Native only (criterion is a native dev-dependency); the wasm32 build of this target is empty.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(not(target_arch = "wasm32"))]
fn planning(c: &mut Criterion) {
    use srm_xero_shared::{MappingSettings, PlanRequest, plan};
    use std::collections::HashMap;
    use std::hint::black_box;
    use std::time::Duration;

    let postings = common::big_gl(100_000);
    let reference = common::reference();
    let settings = MappingSettings::default();
    let exported = HashMap::new();
    let mut group = c.benchmark_group("plan");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("100k_postings", |b| {
        b.iter(|| {
            let planned = plan(black_box(&PlanRequest {
                postings: &postings,
                settings: &settings,
                exported: &exported,
                from: common::day("2019-08-01"),
                export_number: None,
                reference: &reference,
            }));
            assert_eq!(planned.journals.len(), 120);
            planned
        });
    });
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, planning);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
