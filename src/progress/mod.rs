//! `cc-progress`: progress events of runs — writing them (with the tracker's derived
//! steps and the notifications they cause), folding them into run states, listing
//! runs and sprint chains, and following them live.

pub mod agent;
pub mod chain;
mod cost;
mod read;
pub mod render;
mod state;
pub mod stream;
#[cfg(feature = "cli")]
pub mod watch;
mod write;

pub use agent::{Translated, Translator, append_output_lines, output_chunk, strip_ansi};
pub use cost::{attach_costs, usage_by_chain};
pub use read::{Stored, all_events, all_runs, parse_event, recent_events, run_events, run_state};
pub use state::{RunError, RunState, StepState, completes_a_step, is_start};
pub use write::{Written, append_event, tracker};
