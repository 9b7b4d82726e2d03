//! Integration tests of Brisk's embedding API.

mod api;
mod baseline;
mod artifact;
mod cli_cache;
mod cli_run;
mod bad_input;
mod budget;
mod determinism;
mod explain;
mod externref;
mod host_funcs;
mod interp_acc;
mod interp_dispatch;
mod pooling;
mod rss;
mod tier_up;
mod tiers;
mod traps;
mod unwind;
mod util;
mod validation;
mod wasi_programs;
