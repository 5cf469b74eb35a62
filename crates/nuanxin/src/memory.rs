//! Handing freed heap memory back to the operating system: the one module of the workspace
//! allowed `unsafe` code (`unsafe_code` is denied in this crate and forbidden in the core).
//!
//! glibc keeps memory a thread frees in that thread's arena (up to 8 per core) instead of
//! returning it, so after a large allocation on a blocking thread (a coverage analysis, the
//! start-up seed from `--data`) the resident size stays at the high-water mark of every arena
//! (seen in the soak test, `scripts/soak.sh`). No maintained crate wraps `malloc_trim`, so the
//! call is made here, once.

/// Returns the free pages of every glibc arena to the operating system (`malloc_trim(0)`,
/// malloc_trim(3)); true when some memory was released. Takes well under a millisecond next
/// to an analysis. Elsewhere (musl, macOS, Windows) it does nothing and returns false: their
/// allocators return memory themselves or have no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes no pointer and touches only the allocator's own free lists;
    // glibc serialises it with every other allocator call (MT-Safe in malloc_trim(3)).
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Does nothing off glibc (see the glibc version): returns false.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}
