//! The model's side of the facility: the power controller sets each replica's clock when it
//! forms a batch, replicas whose clock should change are cut, and the ambient temperature
//! is read at every ambient step (see `domain::facility::runtime`).

use super::exec::Res;
use super::{Event, ScenarioModel};
use crate::domain::facility::FacilityRt;
use crate::domain::llm::replica::ClockSource;
use crate::domain::trace::Tracer;
use crate::engine::{Scheduler, SimTime};

/// A replica's clock, asked of the facility when the replica forms a batch.
pub(super) struct FacilityClock<'a> {
    pub facility: &'a mut FacilityRt,
    pub now: SimTime,
    pub pool: u32,
    pub replica: u32,
}

impl ClockSource for FacilityClock<'_> {
    const TRACKS: bool = true;

    #[inline]
    fn batch(&mut self, busy: bool, mfu: f64, mbu: f64) -> f64 {
        self.facility
            .replica_changed(self.now, self.pool, self.replica, busy, mfu, mbu)
    }
}

impl<T: Tracer> ScenarioModel<'_, T> {
    /// Cuts the runs of the replicas the facility queued: their next batch forms after the
    /// iteration in progress, at their new clock.
    pub(super) fn apply_cuts(&mut self, sched: &mut Scheduler<Event>) -> Res {
        let Some(f) = &mut self.facility else {
            return Ok(());
        };
        let mut cuts = std::mem::take(&mut self.cuts);
        f.take_cuts(&mut cuts);
        let now = sched.now();
        for &(pool, replica) in &cuts {
            let clock = self
                .facility
                .as_ref()
                .map_or(1.0, |f| f.clock(pool, replica));
            if let Some(w) = self.gpu_pools[pool as usize].retime(now, replica, clock) {
                let global = self.replica_base[pool as usize] + replica;
                self.wake(sched, global, w)?;
            }
        }
        cuts.clear();
        self.cuts = cuts;
        Ok(())
    }

    /// Schedules the facility's next tick (ambient update or energy price change), if any.
    pub(super) fn schedule_tick(&mut self, sched: &mut Scheduler<Event>) -> Res {
        if let Some(at) = self
            .facility
            .as_ref()
            .and_then(|f| f.next_tick(sched.now()))
        {
            sched.schedule_background_at(at, Event::FacilityTick)?;
        }
        Ok(())
    }

    /// The tick: the energy price in force, or at an ambient step a new temperature,
    /// capacities and limits. Ticks are background
    /// events: a run without a horizon ends with its work, not at the next tick.
    pub(super) fn on_facility_tick(&mut self, sched: &mut Scheduler<Event>) -> Res {
        let now = sched.now();
        if let Some(f) = &mut self.facility {
            f.tick(now);
        }
        self.apply_cuts(sched)?;
        self.schedule_tick(sched)
    }
}
