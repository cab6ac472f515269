//! Spend components and the calendar lengths prices are quoted in.

/// Seconds in a year for amortisation and yearly prices: the Julian year, 365.25 days.
pub const YEAR_S: f64 = 365.25 * 86_400.0;

/// Seconds in a month for monthly prices: a twelfth of [`YEAR_S`] (30.4375 days).
pub const MONTH_S: f64 = YEAR_S / 12.0;

/// Where money goes. Every dollar of a run's spend is in exactly one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Owned hardware: GPUs and their servers, amortised straight-line over their life.
    Capex,
    /// Software licences per GPU and year (owned GPUs).
    Licence,
    /// The facility: per provisioned kW and month, or its build cost amortised.
    Facility,
    /// Facility energy (IT × PUE) at the energy price of the moment.
    Energy,
    /// Rented (cloud) GPUs per GPU-hour.
    Cloud,
    /// CPU / tool servers per server-hour.
    Cpu,
    /// Human reviews, per review.
    Human,
}

/// Every component, in output order.
pub const COMPONENTS: [Component; 7] = [
    Component::Capex,
    Component::Licence,
    Component::Facility,
    Component::Energy,
    Component::Cloud,
    Component::Cpu,
    Component::Human,
];

impl Component {
    /// Number of components.
    pub const COUNT: usize = COMPONENTS.len();

    /// Output name (`capex`, `licence`, `facility`, `energy`, `cloud`, `cpu`, `human`).
    pub fn name(self) -> &'static str {
        match self {
            Component::Capex => "capex",
            Component::Licence => "licence",
            Component::Facility => "facility",
            Component::Energy => "energy",
            Component::Cloud => "cloud",
            Component::Cpu => "cpu",
            Component::Human => "human",
        }
    }

    /// Index in [`COMPONENTS`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_the_output_order() {
        for (i, c) in COMPONENTS.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
        assert_eq!(MONTH_S, 2_629_800.0);
        assert_eq!(YEAR_S, 31_557_600.0);
    }
}
