//! Benchmark package for pylock. The in-process benches and the A/B script against uv live here
//! (see `benches/README.md`); this crate only anchors them in the workspace.
