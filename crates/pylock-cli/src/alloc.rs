//! The process's allocator settings (glibc only; elsewhere nothing to do), and memory left
//! to the process's end.
//!
//! glibc maps an allocation of 128 KiB or more on its own, but raises that threshold to the
//! size of every such block freed (up to 32 MiB). A resolve frees many large blocks (response
//! bodies, a big project's page while it is parsed), so later ones come from the heaps of
//! the fetch threads instead, where freed memory stays: a cold universal airflow resolve
//! peaked at ~166 MB RSS, and ~126 MB with the threshold fixed (`benches/README.md`,
//! session 11). The library never changes process-wide settings; the program does.

/// Blocks from this size on are mapped on their own and returned to the system when freed
/// (glibc's initial threshold, kept fixed).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAPPED_FROM: libc::c_int = 128 * 1024;

/// Keep glibc's mapping threshold fixed, so large freed blocks go back to the system.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only sets an allocator parameter, which glibc allows at any time and
    // from any thread; a refusal (0) leaves the default behaviour, so it is ignored.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED_FROM);
    }
}

/// Leave `value` to the end of the process instead of freeing it: the program exits right
/// after a resolve, and the system takes its memory back at once, where freeing the index's
/// and the resolution's many allocations one by one took milliseconds (`benches/README.md`,
/// session 13). Only for values whose drop frees memory and closes files, nothing more (no
/// buffered writes, no temporary files to remove); the library's own drops stay as they are.
pub fn keep_until_exit<T>(value: T) {
    std::mem::forget(value);
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Bytes in blocks glibc has mapped on their own.
    #[allow(unsafe_code)]
    fn mapped_bytes() -> usize {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        unsafe { libc::mallinfo2() }.hblkhd
    }

    #[test]
    fn a_large_block_is_mapped_even_after_a_larger_one_was_freed() {
        return_large_blocks();
        // Left alone, freeing this 8 MiB block would raise the threshold to 8 MiB ...
        drop(std::hint::black_box(vec![1u8; 8 << 20]));
        let before = mapped_bytes();
        // ... and this 4 MiB one would come from the heap, where freeing keeps it.
        let block = std::hint::black_box(vec![1u8; 4 << 20]);
        let after = mapped_bytes();
        assert!(
            after >= before + (4 << 20),
            "mapped before {before}, after {after}"
        );
        drop(block);
    }
}
