//! The GPU power model fitted on the bundled Splitwise data: the stored coefficients are the
//! fit's, the fit's accuracy on held-out configurations, the clock response to a 70 % power
//! cap, and physical bounds (idle power, TDP, monotonicity in the batch).

use super::support::repo;
use infersim::domain::facility::power::{CALIBRATED, PowerCoeffs};
use infersim::domain::facility::power_fit::{PowerFit, busy_power_w, fit_power};
use infersim::domain::llm::Catalog;
use infersim::domain::llm::calibrate::DEFAULT_DATA;
use infersim::domain::llm::perf::{BatchShape, IterationModel};
use std::sync::OnceLock;

/// The power fit of the bundled data (done once for all tests of this file).
fn fit() -> &'static PowerFit {
    static FIT: OnceLock<PowerFit> = OnceLock::new();
    FIT.get_or_init(|| {
        fit_power(&repo(DEFAULT_DATA), &Catalog::builtin()).unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn calibrated_power_coefficients_are_the_fit_of_the_bundled_data() {
    let f = fit();
    println!("{}", f.table());
    assert_eq!(
        f.coeffs, CALIBRATED,
        "power::CALIBRATED is stale: set it to the fit printed by `infersim calibrate`"
    );
    assert_eq!((f.excluded_zero, f.excluded_outliers), (160, 15));
    assert_eq!(f.rows_used, 245);
}

/// Held-out MAPE of the average power: measured 8.9 % over all (model, TP) and at most
/// 15.0 % in one group (llama2-70b TP 8); bounds with a margin.
#[test]
fn held_out_average_power_mape_is_bounded() {
    let f = fit();
    assert!(f.average_mape.test <= 0.11, "{:?}", f.average_mape);
    assert_eq!(f.groups.len(), 4);
    for g in &f.groups {
        assert!(g.rows_test > 0 && g.rows_train > 0, "{g:?}");
        assert!(
            g.average_mape.test <= 0.17,
            "{} TP{}: {:?}",
            g.model,
            g.tp,
            g.average_mape
        );
        // The predicted prefill power against the measured peak: within 20 % on average.
        assert!(g.peak_mape <= 0.20, "{} TP{}: peak {g:?}", g.model, g.tp);
    }
}

/// llama2-70b TP 4 configurations on both H100 servers with a compute-bound prefill of at
/// least 1024 tokens.
fn llama_tp4_cap() -> Vec<&'static infersim::domain::facility::power_fit::CapConfig> {
    let v: Vec<_> = fit()
        .cap
        .iter()
        .filter(|c| c.model == "llama2-70b" && c.tp == 4 && c.size.0 * c.size.1 >= 1024)
        .collect();
    assert!(v.len() >= 8, "{}", v.len());
    v
}

#[test]
fn decode_slowdown_at_a_70_percent_cap_matches_the_measured_token_time_ratio() {
    for c in llama_tp4_cap() {
        let (measured, model) = c.decode;
        assert!((model / measured - 1.0).abs() <= 0.10, "{c:?}");
    }
}

/// The prefill slows down under the cap, but less than measured: see the known gap in the
/// documentation of `power::CALIBRATED`.
#[test]
fn prefill_slows_down_at_a_70_percent_cap_but_less_than_measured() {
    for c in llama_tp4_cap() {
        let (measured, model) = c.prefill;
        assert!(model >= 1.0 && model <= measured * 1.10, "{c:?}");
    }
    let (p, d) = fit().cap_summary();
    assert!(p.1 > 1.05, "mean modelled prefill slowdown {p:?}");
    assert!((d.1 - 1.0).abs() < 0.01, "{d:?}");
}

#[test]
#[ignore = "known gap: the A100-fitted activity puts an H100 prefill at ~605 W, not the \
            published ~700 W, so a 490 W cap slows it ~1.15x, not the measured 1.3x"]
fn prefill_slowdown_at_a_70_percent_cap_matches_the_measured_prompt_time_ratio() {
    for c in llama_tp4_cap() {
        let (measured, model) = c.prefill;
        assert!((model / measured - 1.0).abs() <= 0.10, "{c:?}");
    }
}

fn llama_on(gpu: &str, tp: u32) -> (infersim::domain::llm::GpuSpec, IterationModel) {
    let cat = Catalog::builtin();
    let g = cat.gpu(gpu).unwrap().clone();
    let m = &cat.models["llama-2-70b"];
    let im = IterationModel::new(&g, m, tp, cat.perf(gpu, tp).unwrap().0);
    (g, im)
}

#[test]
fn idle_gpu_draws_idle_power_and_busy_power_never_exceeds_tdp() {
    let greedy = PowerCoeffs {
        compute: 50.0,
        memory: 50.0,
        ..CALIBRATED
    };
    for gpu in ["a100-80gb-sxm", "h100-sxm"] {
        for tp in [2, 4, 8] {
            let (g, im) = llama_on(gpu, tp);
            for c in [CALIBRATED, greedy] {
                assert_eq!(busy_power_w(&c, &g, &im, &BatchShape::default()), g.idle_w);
                for p in [0, 1, 100, 2048, 16_384] {
                    for b in [0, 1, 8, 64, 256] {
                        let s = BatchShape {
                            prefill_tokens: p,
                            prefill_attn: (p * p) as f64 / 2.0,
                            decode_seqs: b,
                            decode_ctx: b * 2048,
                        };
                        let w = busy_power_w(&c, &g, &im, &s);
                        assert!(w >= g.idle_w && w <= g.tdp_w, "{gpu} TP{tp} {s:?}: {w} W");
                    }
                }
            }
        }
    }
}

/// Decode power [W] per GPU of llama-2-70b on `gpu` at `tp` for batches 1, 2, 4, ... of
/// 1024-token contexts whose KV cache fits in the replica's HBM beside the weights.
fn decode_power_by_batch(gpu: &str, tp: u32) -> Vec<(u64, f64)> {
    let m = &Catalog::builtin().models["llama-2-70b"];
    let (g, im) = llama_on(gpu, tp);
    let free = f64::from(tp) * g.hbm_bytes() - m.weight_bytes();
    let fits = |b: u64| b as f64 * 1024.0 * m.kv_bytes_per_token() <= free;
    (0..12)
        .map(|k| 1u64 << k)
        .take_while(|&b| fits(b))
        .map(|b| {
            let s = BatchShape {
                decode_seqs: b,
                decode_ctx: b * 1024,
                ..BatchShape::default()
            };
            (b, busy_power_w(&CALIBRATED, &g, &im, &s))
        })
        .collect()
}

/// On the A100 (the measured power) decode power rises with the batch up to 128 sequences;
/// beyond, the fitted per-sequence time (host work, during which the GPU is taken as idle)
/// grows faster than the KV traffic and the power dips by less than 3 % (TP 4: 286 W at
/// 128, 279 W at 512).
#[test]
fn decode_power_rises_with_the_batch_on_the_a100() {
    for tp in [2, 4, 8] {
        let mut prev = 0.0;
        for (b, w) in decode_power_by_batch("a100-80gb-sxm", tp) {
            let floor = if b <= 128 { prev } else { 0.97 * prev };
            assert!(w >= floor, "TP{tp} batch {b}: {w} W < {prev} W");
            if b <= 128 {
                prev = w;
            }
        }
    }
}

#[test]
#[ignore = "known gap: the H100's fitted per-sequence decode time dilutes its modelled \
            memory busy share, so its decode power falls slightly with the batch (TP 2: \
            571 W at batch 1, 569 W at 2)"]
fn decode_power_rises_with_the_batch_on_the_h100() {
    for tp in [2, 4, 8] {
        let mut prev = 0.0;
        for (b, w) in decode_power_by_batch("h100-sxm", tp) {
            assert!(w >= prev, "TP{tp} batch {b}: {w} W < {prev} W");
            prev = w;
        }
    }
}
