//! Calibration of the iteration-time roofline on the bundled Splitwise data: accuracy on
//! held-out configurations, reproducibility of `catalog/calibration.toml`, a closed form of
//! the roofline, and the `infersim calibrate` command.

use super::support::{infersim, repo};
use infersim::domain::llm::calibrate::{Calibration, DEFAULT_DATA, calibrate};
use infersim::domain::llm::perf::{
    BatchShape, IterationModel, PerfCoeffs, builtin_calibration, coeffs_for,
};
use infersim::domain::llm::{GpuSpec, ModelSpec};
use std::sync::OnceLock;

/// The fit of the bundled data (done once for all tests of this file).
fn fit() -> &'static Calibration {
    static FIT: OnceLock<Calibration> = OnceLock::new();
    FIT.get_or_init(|| {
        calibrate(
            &repo(DEFAULT_DATA),
            &infersim::domain::llm::Catalog::builtin(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[test]
fn held_out_mape_is_at_most_10_percent_in_every_group() {
    let cal = fit();
    println!("{}", cal.table());
    let groups: Vec<(&str, u32)> = cal.groups.iter().map(|g| (g.gpu.as_str(), g.tp)).collect();
    let mut expected = Vec::new();
    for gpu in ["a100-80gb-sxm", "h100-sxm", "h100-sxm-pcap70"] {
        for tp in [2, 4, 8] {
            expected.push((gpu, tp));
        }
    }
    assert_eq!(groups, expected);
    for g in &cal.groups {
        for (what, m) in [("prompt", g.prompt_mape), ("token", g.token_mape)] {
            assert!(
                m.test <= 0.10,
                "{} TP{}: held-out {what} MAPE {:.1} % > 10 %",
                g.gpu,
                g.tp,
                100.0 * m.test
            );
            assert!(m.train <= 0.10, "{} TP{} {what} train MAPE", g.gpu, g.tp);
        }
        // TP 8 pools both models; the others measure llama2-70b only.
        let pooled = g.models.len() == 2;
        assert_eq!(pooled, g.tp == 8, "{} TP{}: {:?}", g.gpu, g.tp, g.models);
        assert!(g.rows_test > 0 && g.rows_train > g.rows_test);
    }
    // The physically impossible rows: llama2-70b TP2 prompt 512 x batch 64, 5 repeats on
    // each of the three hardware.
    let excluded: Vec<_> = cal.excluded().collect();
    assert_eq!(excluded.len(), 15);
    for (g, e) in excluded {
        assert_eq!((g.tp, e.prompt_size, e.batch_size), (2, 512, 64));
        assert!(e.implied_mfu > 1.0);
    }
    assert_eq!(
        cal.groups
            .iter()
            .map(|g| g.rows_train + g.rows_test + g.excluded.len())
            .sum::<usize>(),
        cal.rows
    );
}

#[test]
fn calibration_toml_is_reproduced_by_a_fresh_fit() {
    let file = std::fs::read_to_string(repo("catalog/calibration.toml")).unwrap();
    assert!(
        file == fit().to_toml(),
        "catalog/calibration.toml is stale: regenerate it with \
         `infersim calibrate --write catalog/calibration.toml`"
    );
    assert_eq!(builtin_calibration(), fit().perf_table());
}

#[test]
fn builtin_coefficients_are_found_for_measured_and_other_tps() {
    let perf = builtin_calibration();
    let (c, note) = coeffs_for(&perf, "h100-sxm", None, 8).unwrap();
    assert_eq!(c, perf["h100-sxm"][&8]);
    assert_eq!(note, "calibrated h100-sxm TP8");
    let (c, note) = coeffs_for(&perf, "h100-sxm", None, 1).unwrap();
    assert_eq!(c, perf["h100-sxm"][&2]);
    assert!(note.contains("nearest measured TP2"), "{note}");
    let (c, note) = coeffs_for(&perf, "h200-sxm", Some("h100-sxm"), 4).unwrap();
    assert_eq!(c, perf["h100-sxm"][&4]);
    assert!(note.contains("proxy h100-sxm"), "{note}");
    assert!(coeffs_for(&perf, "tpu", None, 4).is_err());
}

/// A made-up GPU with round figures.
fn toy_gpu() -> GpuSpec {
    GpuSpec {
        bf16_tflops: 500.0,
        fp8_tflops: 1000.0,
        hbm_gb: 100.0,
        mem_bw_tbps: 2.0,
        tdp_w: 500.0,
        idle_w: 50.0,
        interconnect_gbps: 200.0,
        price_usd: 10_000.0,
        calibration_proxy: None,
    }
}

/// A made-up dense model.
fn toy_model() -> ModelSpec {
    ModelSpec {
        layers: 40,
        hidden_size: 5120,
        attention_heads: 40,
        kv_heads: 8,
        head_dim: 128,
        params_total: 13e9,
        params_active: 13e9,
        weight_bytes_per_param: 2.0,
        kv_bytes_per_elem: 2.0,
        kv_bytes_per_token: None,
        max_context_tokens: 8192,
    }
}

fn toy_coeffs() -> PerfCoeffs {
    PerfCoeffs {
        mfu: 0.5,
        mfu_large: 0.25,
        knee_tokens: 1024.0,
        mbu: 0.8,
        comm_util: 0.5,
        layer_overhead_s: 2e-4,
        prefill_layer_overhead_s: 1e-4,
        per_seq_s: 3e-4,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs()
}

#[test]
fn decode_batch_time_is_the_closed_form() {
    let (g, m, c) = (toy_gpu(), toy_model(), toy_coeffs());
    let b = 16u64;
    let ctx = 16 * 1000u64;
    let shape = BatchShape {
        decode_seqs: b,
        decode_ctx: ctx,
        ..BatchShape::default()
    };
    let kv_per_token = 2.0 * 40.0 * 8.0 * 128.0 * 2.0;
    for tp in [1u32, 4] {
        let tp_f = f64::from(tp);
        let bw = tp_f * 2e12 * c.mbu;
        let memory = (13e9 * 2.0 + kv_per_token * ctx as f64) / bw;
        // Decode is memory-bound: 16 tokens of 26 GFLOP plus attention.
        let compute =
            (2.0 * 13e9 * 16.0 + 4.0 * 40.0 * 40.0 * 128.0 * ctx as f64) / (tp_f * 500e12 * c.mfu);
        assert!(compute < memory);
        let comm = if tp == 1 {
            0.0
        } else {
            2.0 * 40.0 * 16.0 * 5120.0 * 2.0 * 2.0 * (tp_f - 1.0) / tp_f / (200e9 * c.comm_util)
        };
        let expected = 40.0 * c.layer_overhead_s + c.per_seq_s * b as f64 + memory + comm;
        let got = IterationModel::new(&g, &m, tp, c).time_s(&shape);
        assert!(close(got, expected), "tp {tp}: {got} != {expected}");
    }
}

#[test]
fn prefill_time_is_the_closed_form_across_the_knee() {
    let (g, m, c) = (toy_gpu(), toy_model(), toy_coeffs());
    let p = 4096u64;
    let shape = BatchShape {
        prefill_tokens: p,
        prefill_attn: (p * p) as f64 / 2.0,
        ..BatchShape::default()
    };
    let flops = 2.0 * 13e9 * p as f64 + 4.0 * 40.0 * 40.0 * 128.0 * (p * p) as f64 / 2.0;
    // 1024 tokens at mfu 0.5, 3072 at mfu_large 0.25: mean 1/MFU = (1024·2 + 3072·4) / 4096.
    let compute = flops / 500e12 * ((1024.0 * 2.0 + 3072.0 * 4.0) / 4096.0);
    let expected = 40.0 * (c.layer_overhead_s + c.prefill_layer_overhead_s) + compute;
    let got = IterationModel::new(&g, &m, 1, c).time_s(&shape);
    assert!(close(got, expected), "{got} != {expected}");
}

#[test]
fn cli_writes_the_bundled_calibration_and_rejects_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calibration.toml");
    let assert = infersim()
        .arg("calibrate")
        .arg("--write")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("prompt MAPE tr/te") && stdout.contains("h100-sxm-pcap70"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(repo("catalog/calibration.toml")).unwrap()
    );
    let assert = infersim()
        .args(["calibrate", "--data", "no/such.csv"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("no/such.csv") && stderr.contains(DEFAULT_DATA),
        "{stderr}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\n\
         llama2-70b,h100-80gb,512,1,128,80.0,oops,2\n",
    )
    .unwrap();
    let assert = infersim()
        .arg("calibrate")
        .arg("--data")
        .arg(&bad)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("bad.csv:2:"), "{stderr}");
}
