//! The integration-test binary: every fixture scenario, lock interoperability with Python's
//! `packaging.pylock`, determinism, and conflict explanations.

#![allow(missing_docs)]

mod determinism;
mod diff;
mod direct;
mod explanations;
mod graph;
mod honest;
mod honest_fixtures;
mod honest_more;
mod hostile;
mod http;
mod inputs;
mod interop;
mod limit;
mod live;
mod preferences;
mod priorities;
mod project;
mod props_solver;
mod scenarios;
mod server;
mod structure;
mod support;
mod validity;
mod verify;
