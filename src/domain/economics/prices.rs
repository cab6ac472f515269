//! The validated prices of a scenario (`[cost]`; see `scenarios/README.md`, "Costs").
//!
//! Every price defaults to 0: a component nobody priced costs nothing, and `validate` lists
//! what is unpriced. Amortisation is straight-line: owned hardware costs `capex / life` per
//! unit of time, busy or idle, from the day it is in service.

use super::component::{MONTH_S, YEAR_S};
use super::tariff::Tariff;

/// Default hardware life for straight-line amortisation [years]: servers are depreciated
/// over 5 years typically, 4–6 (`../shared/data/README.md`, "Figures to hold to").
pub const DEFAULT_LIFE_YEARS: f64 = 5.0;

/// Default life of a facility build for amortisation [years]. Data centre shells and
/// their power and cooling plant are commonly depreciated over 15–20 years; 15 is the
/// conservative end.
pub const DEFAULT_FACILITY_LIFE_YEARS: f64 = 15.0;

/// Prices of one GPU pool.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GpuPoolPrice {
    /// Purchase price per GPU [USD] (owned pools).
    pub capex_usd_per_gpu: f64,
    /// Purchase price per server without its GPUs: chassis, CPUs, memory, network [USD].
    pub capex_usd_per_server: f64,
    /// Amortisation period [years], > 0.
    pub life_years: f64,
    /// Software licences per GPU and year [USD] (owned pools).
    pub licence_usd_per_gpu_year: f64,
    /// Rental price per GPU-hour [USD]; > 0 makes the pool a cloud pool (no capex).
    pub cloud_usd_per_gpu_hour: f64,
    /// GPUs per server, for the server count (`ceil(GPUs / gpus_per_server)`).
    pub gpus_per_server: u32,
    /// A cloud pool rented on demand (billed while rented, not while it merely exists).
    pub on_demand: Option<crate::domain::llm::rental::RentalTerms>,
}

impl GpuPoolPrice {
    /// Servers holding `gpus` GPUs.
    pub fn servers(&self, gpus: u64) -> u64 {
        gpus.div_ceil(u64::from(self.gpus_per_server.max(1)))
    }

    /// Purchase price of `gpus` GPUs and their servers [USD].
    pub fn capex_usd(&self, gpus: u64) -> f64 {
        gpus as f64 * self.capex_usd_per_gpu + self.servers(gpus) as f64 * self.capex_usd_per_server
    }

    /// Spend rates of `gpus` GPUs [USD/s]: (capex amortised, licences, cloud rental; 0 for
    /// an on-demand pool, billed by the time rented).
    pub fn rates_usd_per_s(&self, gpus: u64) -> (f64, f64, f64) {
        let capex = if self.life_years > 0.0 {
            self.capex_usd(gpus) / (self.life_years * YEAR_S)
        } else {
            0.0
        };
        (
            capex,
            gpus as f64 * self.licence_usd_per_gpu_year / YEAR_S,
            if self.on_demand.is_some() {
                0.0
            } else {
                gpus as f64 * self.cloud_usd_per_gpu_hour / 3600.0
            },
        )
    }

    /// Whether the pool is rented.
    pub fn is_cloud(&self) -> bool {
        self.cloud_usd_per_gpu_hour > 0.0
    }
}

/// How the facility is priced.
#[derive(Debug, Clone, PartialEq)]
pub enum FacilityPrice {
    /// Not priced.
    None,
    /// Colocation-style: per provisioned kW and month [USD/(kW·month)].
    PerKwMonth(f64),
    /// An owned build: capex per MW of provisioned critical (IT) load [USD/MW], amortised
    /// straight-line over `life_years`.
    Build {
        /// Build cost [USD/MW].
        usd_per_mw: f64,
        /// Amortisation period [years].
        life_years: f64,
    },
}

/// Every price of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct CostSpec {
    /// Per GPU pool, in `Scenario::gpu_pools` order.
    pub gpu_pools: Vec<GpuPoolPrice>,
    /// Per CPU pool, in `Scenario::cpu_pools` order: price per server-hour [USD].
    pub cpu_usd_per_server_hour: Vec<f64>,
    /// The facility.
    pub facility: FacilityPrice,
    /// Provisioned IT power the facility price applies to [kW]: the site cap, else the sum
    /// of the rack caps, else the fleet's nameplate power (every GPU at TDP, hosts busy).
    pub provisioned_kw: f64,
    /// The energy price; `None`: energy not priced.
    pub energy: Option<Tariff>,
}

impl CostSpec {
    /// No price at all for `gpu_pools` GPU pools and `cpu_pools` CPU pools.
    pub fn unpriced(gpu_pools: usize, cpu_pools: usize) -> CostSpec {
        CostSpec {
            gpu_pools: vec![
                GpuPoolPrice {
                    life_years: DEFAULT_LIFE_YEARS,
                    gpus_per_server: 8,
                    ..GpuPoolPrice::default()
                };
                gpu_pools
            ],
            cpu_usd_per_server_hour: vec![0.0; cpu_pools],
            facility: FacilityPrice::None,
            provisioned_kw: 0.0,
            energy: None,
        }
    }

    /// The facility's spend rate [USD/s].
    pub fn facility_usd_per_s(&self) -> f64 {
        match self.facility {
            FacilityPrice::None => 0.0,
            FacilityPrice::PerKwMonth(p) => self.provisioned_kw * p / MONTH_S,
            FacilityPrice::Build {
                usd_per_mw,
                life_years,
            } => self.provisioned_kw / 1e3 * usd_per_mw / (life_years * YEAR_S),
        }
    }

    /// Whether anything besides human reviews has a price.
    pub fn any_price(&self) -> bool {
        self.gpu_pools
            .iter()
            .any(|p| p.capex_usd(1) > 0.0 || p.licence_usd_per_gpu_year > 0.0 || p.is_cloud())
            || self.cpu_usd_per_server_hour.iter().any(|&p| p > 0.0)
            || self.facility != FacilityPrice::None
            || self.energy.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_line_amortisation_is_exact() {
        // 16 H100s in 2 servers: 16 × 25,000 + 2 × 150,000 = 700,000 USD over 5 years.
        let p = GpuPoolPrice {
            capex_usd_per_gpu: 25_000.0,
            capex_usd_per_server: 150_000.0,
            life_years: 5.0,
            licence_usd_per_gpu_year: 4_500.0,
            cloud_usd_per_gpu_hour: 0.0,
            gpus_per_server: 8,
            on_demand: None,
        };
        assert_eq!(p.servers(16), 2);
        assert_eq!(p.servers(17), 3);
        assert_eq!(p.capex_usd(16), 700_000.0);
        let (capex, licence, cloud) = p.rates_usd_per_s(16);
        // One Julian year of it: a fifth of the price, and 16 licences.
        assert!((capex * YEAR_S - 140_000.0).abs() < 1e-9);
        assert!((licence * YEAR_S - 72_000.0).abs() < 1e-9);
        assert_eq!(cloud, 0.0);
    }

    #[test]
    fn facility_prices() {
        let mut c = CostSpec::unpriced(0, 0);
        c.provisioned_kw = 500.0;
        c.facility = FacilityPrice::PerKwMonth(150.0);
        assert!((c.facility_usd_per_s() * MONTH_S - 75_000.0).abs() < 1e-9);
        // 0.5 MW at 12 M USD/MW over 15 years: 400,000 USD a year.
        c.facility = FacilityPrice::Build {
            usd_per_mw: 12e6,
            life_years: 15.0,
        };
        assert!((c.facility_usd_per_s() * YEAR_S - 400_000.0).abs() < 1e-6);
    }
}
