//! A progress display on stderr while resolving: pages and metadata fetched, requests in
//! flight. Shown only when stderr is a terminal and not `--quiet`; plain when `NO_COLOR` is set.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use pylock::Index;
use pylock::PackageName;
use pylock::{CoreMetadata, DirectDist, DistFile, IndexError, ProjectPage};

/// The spinner, if one is shown.
pub struct Progress {
    bar: Option<ProgressBar>,
    pages: AtomicUsize,
    metadata: AtomicUsize,
    in_flight: AtomicUsize,
}

impl Progress {
    /// A display, or a silent one when stderr is not a terminal or `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            let template = if std::env::var_os("NO_COLOR").is_some() {
                "{spinner} {msg}"
            } else {
                "{spinner:.cyan} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(100));
            bar
        });
        Self {
            bar,
            pages: AtomicUsize::new(0),
            metadata: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn update(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "resolving: {} projects, {} metadata files read, {} requests in flight",
                self.pages.load(Ordering::Relaxed),
                self.metadata.load(Ordering::Relaxed),
                self.in_flight.load(Ordering::Relaxed)
            ));
        }
    }

    /// Remove the display.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// An index that reports its requests to a [`Progress`].
pub struct Observed<'a> {
    inner: &'a dyn Index,
    progress: &'a Progress,
    concurrency: Option<usize>,
}

impl<'a> Observed<'a> {
    /// Observe `inner`; `concurrency` overrides how many requests it runs at once.
    pub fn new(inner: &'a dyn Index, progress: &'a Progress, concurrency: Option<usize>) -> Self {
        Self {
            inner,
            progress,
            concurrency,
        }
    }

    fn track<T>(&self, counter: &AtomicUsize, f: impl FnOnce() -> T) -> T {
        self.progress.in_flight.fetch_add(1, Ordering::Relaxed);
        self.progress.update();
        let out = f();
        self.progress.in_flight.fetch_sub(1, Ordering::Relaxed);
        counter.fetch_add(1, Ordering::Relaxed);
        self.progress.update();
        out
    }
}

impl Index for Observed<'_> {
    fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        self.track(&self.progress.pages, || self.inner.project(name))
    }

    fn metadata(&self, file: &DistFile) -> Result<CoreMetadata, IndexError> {
        self.track(&self.progress.metadata, || self.inner.metadata(file))
    }

    fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or_else(|| self.inner.concurrency())
    }

    fn direct(&self, name: &PackageName, url: &url::Url) -> Result<DirectDist, IndexError> {
        self.track(&self.progress.metadata, || self.inner.direct(name, url))
    }
}
