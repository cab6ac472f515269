//! Metric and series names with their units: one list, so output columns stay stable.
//! Definitions are in `docs/METRICS.md`.

use crate::domain::economics::Component;

/// A metric of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Arrival at a pool -> start of service.
    WaitS,
    /// Arrival at a pool -> end of service.
    SojournS,
    /// Busy-time / (servers × time).
    Utilization,
    /// Time-average number of jobs waiting.
    QueueLength,
    /// Jobs reaching a pool per second.
    ArrivalRatePerS,
    /// Analytic ρ = λ·E[S]·fan-out / c, from the scenario (not simulated).
    OfferedLoad,
    /// Jobs reaching a pool.
    JobsArrived,
    /// Jobs waiting when the run ended.
    JobsQueuedAtEnd,
    /// Jobs in service when the run ended.
    JobsInServiceAtEnd,
    /// Task arrival -> task end.
    TaskLatencyS,
    /// Tasks that arrived.
    TasksStarted,
    /// Tasks that finished.
    TasksCompleted,
    /// Time-average number of tasks in the system (Little's L).
    TasksInSystem,
    /// Tasks in flight when the run ended.
    TasksInFlightAtEnd,
    /// Age of the tasks in flight at the end.
    InFlightAgeS,
    /// Events the kernel handled.
    Events,
    /// Simulated time of a replication.
    SimulatedTimeS,
    /// LLM call arrival -> first output token.
    TtftS,
    /// (e2e − ttft) / (output tokens − 1), calls with more than one output token.
    TpotS,
    /// Gap between consecutive output tokens, one sample per gap.
    ItlS,
    /// LLM call arrival -> last output token.
    E2eS,
    /// Share of KV-cache token capacity holding tokens (time-weighted).
    KvUtilization,
    /// Sequences per batch, time-weighted over the time a replica is busy.
    BatchSize,
    /// Prompt tokens prefilled per second (recomputation not counted).
    ThroughputInputTokensPerS,
    /// Output tokens emitted per second.
    ThroughputOutputTokensPerS,
    /// Sequences preempted (KV cache exhausted), recomputed later.
    Preemptions,
    /// Prompt tokens of the finished calls found in the prefix cache (not prefilled).
    PrefixCacheHitTokens,
    /// LLM calls that reached the pool.
    CallsArrived,
    /// LLM calls that finished.
    CallsCompleted,
    /// LLM calls rejected because they can never fit in a replica's KV cache.
    CallsRejected,
    /// LLM calls waiting at the end.
    CallsWaitingAtEnd,
    /// LLM calls in a batch at the end.
    CallsRunningAtEnd,
    /// Forward passes of all replicas.
    Iterations,
    /// Events handled per LLM call that reached a pool.
    EventsPerLlmCall,
    /// Model FLOPs utilisation: model FLOPs done / (peak FLOP/s of the pool's GPUs × time).
    Mfu,
    /// Memory bandwidth utilisation: weight and KV bytes moved / (bandwidth × time).
    Mbu,
    /// LLM calls per completed task.
    LlmCallsPerTask,
    /// GPU time per completed task (its calls' shares of their replicas' busy time × GPUs).
    GpuSecondsPerTask,
    /// CPU service time per completed task.
    CpuSecondsPerTask,
    /// Prompt + output tokens of the LLM calls per completed task.
    TokensPerTask,
    /// Prompt tokens per completed task.
    InputTokensPerTask,
    /// Output tokens per completed task.
    OutputTokensPerTask,
    /// Ended tasks that succeeded (within their deadline, if any).
    TasksSucceeded,
    /// Ended tasks that failed, for any reason.
    TasksFailed,
    /// Tasks whose work succeeded but ended after their deadline.
    TasksFailedDeadline,
    /// Tasks failed because a step failed on its last attempt with no handler to take over.
    TasksFailedRetriesExhausted,
    /// Tasks failed because they would have gone over `max_steps` or `max_tokens`.
    TasksFailedBudget,
    /// Tool calls (CPU jobs and delay steps) per finished task.
    ToolCallsPerTask,
    /// Human reviews per finished task.
    HumanReviewsPerTask,
    /// Human review time per finished task.
    ReviewSecondsPerTask,
    /// Prompt tokens served from the prefix cache per finished task.
    CachedTokensPerTask,
    /// Step attempts (copies, retries, handlers) per finished task.
    AttemptsPerTask,
    /// A step: ready -> succeeded (all its runs, copies, retries and a handler).
    StepLatencyS,
    /// A step: times it became ready.
    StepRuns,
    /// A step: times it failed for good (before a handler took over, if any).
    StepFailures,
    /// A step: attempts per run (copies × retries).
    AttemptsPerRun,
    /// IT power of a rack or the site (GPUs and hosts) [kW]: `mean` (energy / time) and
    /// `max` (the peak of the piecewise-constant power).
    ItPowerKw,
    /// Facility power (IT, cooling, distribution losses; the site adds its fixed load) [kW].
    FacilityPowerKw,
    /// IT energy [kWh].
    EnergyKwh,
    /// Facility energy [kWh].
    FacilityEnergyKwh,
    /// Facility energy / IT energy.
    Pue,
    /// Time with some busy GPU below full clock (power capping or thermal throttling).
    ThrottledS,
    /// Time with the full-clock demand above the cooling capacity.
    OverCoolingLimitS,
    /// Time with some busy GPU below full clock and a power cap (rack, row, site or a static
    /// GPU limit) setting the clock; may overlap `OverCoolingLimitS`.
    PowerCappedS,
    /// Power cap minus peak IT power [kW]: capacity paid for and never drawn.
    StrandedPowerKw,
    /// The power cap [kW] (from the scenario).
    PowerCapKw,
    /// Busy-time-weighted mean GPU clock factor (1 = full clock).
    ThrottleFactor,
    /// Succeeded / completed tasks.
    TaskSuccessRate,
    /// Succeeded / tasks that should have finished: completed ones plus those still in flight
    /// at the end and older than the deadline.
    SloAttainment,
    /// Spend [USD]: all components (`None`) or one.
    Spend(Option<Component>),
    /// Spend / succeeded tasks [USD]: all components (`None`) or one. For a workflow, the
    /// spend allocated to it (see `domain::economics::spend`).
    CostPerSuccessfulTask(Option<Component>),
    /// Spend per million tokens (prompt + output) of the finished LLM calls [USD].
    CostPerMillionTokensUsd,
    /// Provisioned IT power the facility price applies to [kW].
    ProvisionedPowerKw,
    /// Days from the start until the task SLO attainment first falls below the target (the
    /// horizon when it never does).
    RunwayDays,
    /// A case handled today without AI: people-minutes x loaded hourly cost [USD].
    BaselineCostPerCaseUsd,
    /// A case handled with AI: the spend allocated to the workflow plus, for each failed
    /// task, the baseline cost of handling it the old way, per ended task [USD].
    AiCostPerCaseUsd,
    /// Baseline cost per case minus AI cost per case [USD].
    SavingsPerCaseUsd,
    /// Ended tasks per day in the run.
    CasesPerDay,
    /// Cases per day at which the AI's time-driven cost is paid back by its savings per
    /// case: fixed spend per day / (baseline − variable cost per case).
    BreakEvenCasesPerDay,
    /// Request to resolution today [s].
    BaselineCycleTimeS,
    /// Mean task latency, plus the baseline cycle time for the share of failed tasks [s].
    AiCycleTimeS,
    /// Baseline cycle time minus AI cycle time [s].
    CycleTimeSavedS,
}

impl Metric {
    /// Name in the `metric` column.
    pub fn name(self) -> &'static str {
        match self {
            Metric::WaitS => "wait_s",
            Metric::SojournS => "sojourn_s",
            Metric::Utilization => "utilization",
            Metric::QueueLength => "queue_length",
            Metric::ArrivalRatePerS => "arrival_rate_per_s",
            Metric::OfferedLoad => "offered_load",
            Metric::JobsArrived => "jobs_arrived",
            Metric::JobsQueuedAtEnd => "jobs_queued_at_end",
            Metric::JobsInServiceAtEnd => "jobs_in_service_at_end",
            Metric::TaskLatencyS => "task_latency_s",
            Metric::TasksStarted => "tasks_started",
            Metric::TasksCompleted => "tasks_completed",
            Metric::TasksInSystem => "tasks_in_system",
            Metric::TasksInFlightAtEnd => "tasks_in_flight_at_end",
            Metric::InFlightAgeS => "in_flight_age_s",
            Metric::Events => "events",
            Metric::SimulatedTimeS => "simulated_time_s",
            Metric::TtftS => "ttft_s",
            Metric::TpotS => "tpot_s",
            Metric::ItlS => "itl_s",
            Metric::E2eS => "e2e_s",
            Metric::KvUtilization => "kv_utilization",
            Metric::BatchSize => "batch_size",
            Metric::ThroughputInputTokensPerS => "throughput_input_tokens_per_s",
            Metric::ThroughputOutputTokensPerS => "throughput_output_tokens_per_s",
            Metric::Preemptions => "preemptions",
            Metric::PrefixCacheHitTokens => "prefix_cache_hit_tokens",
            Metric::CallsArrived => "calls_arrived",
            Metric::CallsCompleted => "calls_completed",
            Metric::CallsRejected => "calls_rejected",
            Metric::CallsWaitingAtEnd => "calls_waiting_at_end",
            Metric::CallsRunningAtEnd => "calls_running_at_end",
            Metric::Iterations => "iterations",
            Metric::EventsPerLlmCall => "events_per_llm_call",
            Metric::Mfu => "mfu",
            Metric::Mbu => "mbu",
            Metric::LlmCallsPerTask => "llm_calls_per_task",
            Metric::GpuSecondsPerTask => "gpu_seconds_per_task",
            Metric::CpuSecondsPerTask => "cpu_seconds_per_task",
            Metric::TokensPerTask => "tokens_per_task",
            Metric::InputTokensPerTask => "input_tokens_per_task",
            Metric::OutputTokensPerTask => "output_tokens_per_task",
            Metric::TasksSucceeded => "tasks_succeeded",
            Metric::TasksFailed => "tasks_failed",
            Metric::TasksFailedDeadline => "tasks_failed_deadline",
            Metric::TasksFailedRetriesExhausted => "tasks_failed_retries_exhausted",
            Metric::TasksFailedBudget => "tasks_failed_budget",
            Metric::ToolCallsPerTask => "tool_calls_per_task",
            Metric::HumanReviewsPerTask => "human_reviews_per_task",
            Metric::ReviewSecondsPerTask => "review_seconds_per_task",
            Metric::CachedTokensPerTask => "cached_tokens_per_task",
            Metric::AttemptsPerTask => "attempts_per_task",
            Metric::StepLatencyS => "step_latency_s",
            Metric::StepRuns => "step_runs",
            Metric::StepFailures => "step_failures",
            Metric::AttemptsPerRun => "attempts_per_run",
            Metric::ItPowerKw => "it_power_kw",
            Metric::FacilityPowerKw => "facility_power_kw",
            Metric::EnergyKwh => "energy_kwh",
            Metric::FacilityEnergyKwh => "facility_energy_kwh",
            Metric::Pue => "pue",
            Metric::ThrottledS => "throttled_s",
            Metric::OverCoolingLimitS => "over_cooling_limit_s",
            Metric::PowerCappedS => "power_capped_s",
            Metric::StrandedPowerKw => "stranded_power_kw",
            Metric::PowerCapKw => "power_cap_kw",
            Metric::ThrottleFactor => "throttle_factor",
            Metric::TaskSuccessRate => "task_success_rate",
            Metric::SloAttainment => "slo_attainment",
            Metric::Spend(c) => match c {
                None => "spend_usd",
                Some(Component::Capex) => "spend_capex_usd",
                Some(Component::Licence) => "spend_licence_usd",
                Some(Component::Facility) => "spend_facility_usd",
                Some(Component::Energy) => "spend_energy_usd",
                Some(Component::Cloud) => "spend_cloud_usd",
                Some(Component::Cpu) => "spend_cpu_usd",
                Some(Component::Human) => "spend_human_usd",
            },
            Metric::CostPerSuccessfulTask(c) => match c {
                None => "cost_per_successful_task_usd",
                Some(Component::Capex) => "cost_per_successful_task_capex_usd",
                Some(Component::Licence) => "cost_per_successful_task_licence_usd",
                Some(Component::Facility) => "cost_per_successful_task_facility_usd",
                Some(Component::Energy) => "cost_per_successful_task_energy_usd",
                Some(Component::Cloud) => "cost_per_successful_task_cloud_usd",
                Some(Component::Cpu) => "cost_per_successful_task_cpu_usd",
                Some(Component::Human) => "cost_per_successful_task_human_usd",
            },
            Metric::CostPerMillionTokensUsd => "cost_per_million_tokens_usd",
            Metric::ProvisionedPowerKw => "provisioned_power_kw",
            Metric::RunwayDays => "runway_days",
            Metric::BaselineCostPerCaseUsd => "baseline_cost_per_case_usd",
            Metric::AiCostPerCaseUsd => "ai_cost_per_case_usd",
            Metric::SavingsPerCaseUsd => "savings_per_case_usd",
            Metric::CasesPerDay => "cases_per_day",
            Metric::BreakEvenCasesPerDay => "break_even_cases_per_day",
            Metric::BaselineCycleTimeS => "baseline_cycle_time_s",
            Metric::AiCycleTimeS => "ai_cycle_time_s",
            Metric::CycleTimeSavedS => "cycle_time_saved_s",
        }
    }

    /// Unit in the `unit` column.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::WaitS
            | Metric::SojournS
            | Metric::TaskLatencyS
            | Metric::InFlightAgeS
            | Metric::SimulatedTimeS
            | Metric::TtftS
            | Metric::TpotS
            | Metric::ItlS
            | Metric::E2eS => "s",
            Metric::Utilization
            | Metric::OfferedLoad
            | Metric::KvUtilization
            | Metric::Mfu
            | Metric::Mbu => "ratio",
            Metric::BatchSize => "sequences",
            Metric::ThroughputInputTokensPerS | Metric::ThroughputOutputTokensPerS => "tokens/s",
            Metric::Preemptions => "preemptions",
            Metric::PrefixCacheHitTokens => "tokens",
            Metric::CallsArrived
            | Metric::CallsCompleted
            | Metric::CallsRejected
            | Metric::CallsWaitingAtEnd
            | Metric::CallsRunningAtEnd => "calls",
            Metric::Iterations => "iterations",
            Metric::EventsPerLlmCall => "events/call",
            Metric::LlmCallsPerTask => "calls/task",
            Metric::TasksSucceeded
            | Metric::TasksFailed
            | Metric::TasksFailedDeadline
            | Metric::TasksFailedRetriesExhausted
            | Metric::TasksFailedBudget => "tasks",
            Metric::ToolCallsPerTask => "calls/task",
            Metric::HumanReviewsPerTask => "reviews/task",
            Metric::ReviewSecondsPerTask => "s/task",
            Metric::CachedTokensPerTask => "tokens/task",
            Metric::AttemptsPerTask => "attempts/task",
            Metric::StepLatencyS => "s",
            Metric::StepRuns | Metric::StepFailures => "runs",
            Metric::AttemptsPerRun => "attempts/run",
            Metric::TaskSuccessRate | Metric::SloAttainment => "ratio",
            Metric::ItPowerKw
            | Metric::FacilityPowerKw
            | Metric::StrandedPowerKw
            | Metric::PowerCapKw => "kW",
            Metric::EnergyKwh | Metric::FacilityEnergyKwh => "kWh",
            Metric::Pue | Metric::ThrottleFactor => "ratio",
            Metric::ThrottledS | Metric::OverCoolingLimitS | Metric::PowerCappedS => "s",
            Metric::GpuSecondsPerTask => "GPU-s/task",
            Metric::CpuSecondsPerTask => "s/task",
            Metric::TokensPerTask | Metric::InputTokensPerTask | Metric::OutputTokensPerTask => {
                "tokens/task"
            }
            Metric::QueueLength
            | Metric::JobsArrived
            | Metric::JobsQueuedAtEnd
            | Metric::JobsInServiceAtEnd => "jobs",
            Metric::ArrivalRatePerS => "1/s",
            Metric::TasksStarted
            | Metric::TasksCompleted
            | Metric::TasksInSystem
            | Metric::TasksInFlightAtEnd => "tasks",
            Metric::Events => "events",
            Metric::Spend(_) => "USD",
            Metric::CostPerSuccessfulTask(_) => "USD/task",
            Metric::CostPerMillionTokensUsd => "USD/Mtoken",
            Metric::ProvisionedPowerKw => "kW",
            Metric::RunwayDays => "days",
            Metric::BaselineCostPerCaseUsd
            | Metric::AiCostPerCaseUsd
            | Metric::SavingsPerCaseUsd => "USD/case",
            Metric::CasesPerDay | Metric::BreakEvenCasesPerDay => "cases/day",
            Metric::BaselineCycleTimeS | Metric::AiCycleTimeS | Metric::CycleTimeSavedS => "s",
        }
    }
}

/// A series of `timeseries.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Window average of busy servers / servers.
    Utilization,
    /// Window average of jobs waiting.
    QueueLength,
    /// Jobs reaching the pool in the window / window length.
    ArrivalRatePerS,
    /// Share of KV-cache token capacity in use (GPU pools).
    KvUtilization,
    /// Median TTFT of the calls whose first token came in the window.
    TtftP50S,
    /// 99th percentile of the TTFT of the calls whose first token came in the window.
    TtftP99S,
    /// Median latency of the tasks that ended in the window.
    TaskLatencyP50S,
    /// 99th percentile of the latency of the tasks that ended in the window.
    TaskLatencyP99S,
    /// Window-average IT power of a rack or the site.
    ItPowerKw,
    /// The power cap.
    PowerCapKw,
    /// Window-average facility power (IT, cooling, losses, fixed load).
    FacilityPowerKw,
    /// Window-average cooling capacity.
    CoolingCapacityKw,
    /// Window-average outdoor temperature.
    AmbientC,
    /// Facility energy / IT energy in the window.
    Pue,
    /// Busy-time-weighted mean GPU clock factor in the window (1 when nothing ran).
    ThrottleFactor,
    /// Share of the window with some busy GPU below full clock.
    Throttled,
    /// Spend in the window [USD] (group `all` or `component:NAME`).
    SpendUsd,
    /// Spend from the start to the window's end [USD].
    SpendCumulativeUsd,
}

impl Series {
    /// Name in the `series` column.
    pub fn name(self) -> &'static str {
        match self {
            Series::Utilization => "utilization",
            Series::QueueLength => "queue_length",
            Series::ArrivalRatePerS => "arrival_rate_per_s",
            Series::KvUtilization => "kv_utilization",
            Series::TtftP50S => "ttft_p50_s",
            Series::TtftP99S => "ttft_p99_s",
            Series::TaskLatencyP50S => "task_latency_p50_s",
            Series::TaskLatencyP99S => "task_latency_p99_s",
            Series::ItPowerKw => "it_power_kw",
            Series::PowerCapKw => "power_cap_kw",
            Series::FacilityPowerKw => "facility_power_kw",
            Series::CoolingCapacityKw => "cooling_capacity_kw",
            Series::AmbientC => "ambient_c",
            Series::Pue => "pue",
            Series::ThrottleFactor => "throttle_factor",
            Series::Throttled => "throttled",
            Series::SpendUsd => "spend_usd",
            Series::SpendCumulativeUsd => "spend_cumulative_usd",
        }
    }

    /// Unit in the `unit` column.
    pub fn unit(self) -> &'static str {
        match self {
            Series::Utilization | Series::KvUtilization => "ratio",
            Series::QueueLength => "jobs",
            Series::ArrivalRatePerS => "1/s",
            Series::ItPowerKw
            | Series::PowerCapKw
            | Series::FacilityPowerKw
            | Series::CoolingCapacityKw => "kW",
            Series::AmbientC => "degC",
            Series::TtftP50S
            | Series::TtftP99S
            | Series::TaskLatencyP50S
            | Series::TaskLatencyP99S => "s",
            Series::Pue | Series::ThrottleFactor | Series::Throttled => "ratio",
            Series::SpendUsd | Series::SpendCumulativeUsd => "USD",
        }
    }
}
