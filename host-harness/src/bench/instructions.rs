//! `bench --only <side>`: `--tickets` warm creates on one side and nothing else timed or
//! measured, for counting instructions per ticket under callgrind: run it with two ticket
//! counts and divide the difference in totals by the difference in tickets
//! (docs/performance.md#where-a-warm-tickets-time-goes).

use anyhow::Result;

use super::Bench;
use super::native::NativeClient;
use super::traffic::create;

/// Which side creates the tickets.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Side {
    /// One warm tenant through the component.
    Component,
    /// The native client sending the component's POST.
    Native,
}

/// Creates `tickets` tickets on `side`, after one through the component (the native
/// client's template) and a warm-up; the simulator forgets what it recorded as it goes.
pub(super) async fn only(bench: &Bench, side: Side, tickets: usize) -> Result<()> {
    let host = bench.host(bench.limits(2)?)?;
    let (mut tenant, template) = super::latency::warmed(bench, &host, "instructions").await?;
    let simulator = &bench.simulator;
    simulator.clear_requests();
    match side {
        Side::Component => {
            for i in 0..tickets {
                create(&mut tenant, i).await?;
                simulator.clear_requests();
            }
        }
        Side::Native => {
            let native = NativeClient::new(simulator, &template)?;
            for _ in 0..super::latency::WARM_UP {
                native.send().await?;
            }
            for _ in 0..tickets {
                std::hint::black_box(native.send().await?);
                simulator.clear_requests();
            }
        }
    }
    println!("{tickets} tickets created on the {side:?} side");
    Ok(())
}
