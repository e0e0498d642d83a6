//! pylock: resolve Python requirements into one deterministic PEP 751 `pylock.toml`.
//!
//! Data flows one way: a [`Manifest`] (what to install) and a [`Target`] (where) go to
//! [`resolve()`], which asks an [`Index`] for project pages and core metadata and runs a PubGrub
//! solve; the [`Resolution`] becomes a [`Lock`], written as PEP 751 TOML.
//!
//! ```
//! use pylock::{resolve, Lock, LockOptions, LocalIndex, Manifest, Options, Role, Target};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/packse/example-toml/index/simple");
//! let index = LocalIndex::new(fixture)?;
//!
//! let mut manifest = Manifest::default();
//! manifest.add_str("a", Role::Requirement)?;
//! let target = Target::single("3.12", "linux".parse()?, None)?;
//!
//! let resolution = resolve(&manifest, &target, &Options::default(), &index)?;
//! let lock = Lock::from_resolution(&resolution, &LockOptions::default());
//! let toml = lock.to_toml();
//!
//! assert!(toml.starts_with("lock-version = \"1.0\"\n"));
//! let versions: Vec<_> = lock.packages.iter().map(|p| format!("{}=={}", p.name, p.version)).collect();
//! assert_eq!(versions, ["a==1.0.0", "b==2.0.0"]);
//! # Ok(())
//! # }
//! ```
//!
//! The library never prints and never panics on input: every failure is an error value that
//! names the file, line or URL at fault.

/// The README's examples, compiled and run as doctests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[doc(hidden)]
pub mod fuzzing;
pub mod index;
pub mod lock;
pub mod manifest;
pub mod pep;
pub mod resolve;
mod util;
pub mod verify;

pub use index::{HttpIndex, HttpOptions, Index, IndexError, LocalIndex, MemoryIndex};
pub use lock::{write_atomic, Lock, LockOptions};
pub use manifest::{Baseline, Manifest, ManifestError, Platform, Role, Target, TargetError};
pub use resolve::{resolve, Options, PrereleaseMode, Resolution, ResolutionMode, ResolveError};

/// An instant (UTC), as in [`Options::exclude_newer`] (`jiff`'s type).
pub use jiff::Timestamp;
