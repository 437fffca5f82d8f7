//! Two independent pieces of work at once, for the stages of a large load or save.
//!
//! A sealed snapshot's load has stages that read disjoint data (the state's JSON and
//! the key table; the software backend's material and the state's index; the index's
//! names and its access parts), and a save writes the state's JSON apart from the key
//! table: natively, with `std`, [`join`] runs one of them on a second thread. Everywhere else (without
//! `std`, in WebAssembly) and whenever a thread cannot be started, both run here, one
//! after the other. The results are the same either way: each side reads only what it
//! is given and returns what it makes.

/// Whether [`join`] can run its first closure on another thread in this build.
pub(crate) const THREADS: bool = cfg!(all(feature = "std", not(target_arch = "wasm32")));

/// Run `a` and `b`, `a` on a second thread when this build has threads and one starts
/// (see [`THREADS`]), and return both results. A panic in `a` is raised again here,
/// as it would be had `a` run on this thread.
#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
pub(crate) fn join<RA: Send, RB>(mut a: impl FnMut() -> RA + Send, b: impl FnOnce() -> RB) -> (RA, RB) {
    // The thread is given `a` by reference, so that `a` is still here to run if the
    // thread does not start (`b` is handed back out of the scope then).
    let done = std::thread::scope(|s| {
        let on_thread = &mut a;
        match std::thread::Builder::new().spawn_scoped(s, on_thread) {
            Ok(thread) => {
                let rb = b();
                match thread.join() {
                    Ok(ra) => Ok((ra, rb)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Err(_) => Err(b),
        }
    });
    match done {
        Ok(both) => both,
        Err(b) => {
            let ra = a();
            (ra, b())
        }
    }
}

/// Run `a`, then `b` (no threads in this build; WebAssembly has no caller).
#[cfg(all(not(feature = "std"), not(target_arch = "wasm32")))]
pub(crate) fn join<RA, RB>(mut a: impl FnMut() -> RA, b: impl FnOnce() -> RB) -> (RA, RB) {
    let ra = a();
    (ra, b())
}

/// `f(0)`, ..., `f(n - 1)` in index order, made on this thread and a second one (when
/// one starts: see [`join`]), each index taken once by whichever comes to it first.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> alloc::vec::Vec<R> {
    use core::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = alloc::vec::Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break done;
            }
            done.push((i, f(i)));
        }
    };
    let (mut there, here) = join(take, take);
    there.extend(here);
    there.sort_unstable_by_key(|(i, _)| *i);
    there.into_iter().map(|(_, r)| r).collect()
}

/// `f` of each of `items`, on this thread and a second one as [`map`] shares them: for
/// work on disjoint pieces of one buffer, each handed over whole (`&mut`).
#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
pub(crate) fn each<T: Send>(items: alloc::vec::Vec<T>, f: impl Fn(T) + Sync) {
    let items: alloc::vec::Vec<std::sync::Mutex<Option<T>>> =
        items.into_iter().map(|t| std::sync::Mutex::new(Some(t))).collect();
    // Each index is taken once, so each lock is taken once and never waits.
    map(items.len(), |i| {
        if let Some(item) = items.get(i).and_then(|m| m.lock().ok()?.take()) {
            f(item);
        }
    });
}

/// `f` of each of `items`, in order (no threads in this build).
#[cfg(all(not(feature = "std"), not(target_arch = "wasm32")))]
pub(crate) fn each<T>(items: alloc::vec::Vec<T>, f: impl Fn(T)) {
    items.into_iter().for_each(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn both_sides_run_once_and_return_their_results() {
        let (mut runs_a, mut runs_b) = (0, 0);
        let (a, b) = join(
            || {
                runs_a += 1;
                "a"
            },
            || {
                runs_b += 1;
                2
            },
        );
        assert_eq!((a, b, runs_a, runs_b), ("a", 2, 1, 1));
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn map_makes_each_index_once_in_order() {
        use core::sync::atomic::{AtomicUsize, Ordering};
        let calls = AtomicUsize::new(0);
        let out = map(1000, |i| {
            calls.fetch_add(1, Ordering::Relaxed);
            i * 3
        });
        assert_eq!(calls.into_inner(), 1000);
        assert_eq!(out, (0..1000).map(|i| i * 3).collect::<alloc::vec::Vec<_>>());
        assert!(map(0, |i| i).is_empty());
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn each_gives_every_item_once() {
        let mut buffer = alloc::vec![0u32; 1000];
        each(buffer.chunks_mut(7).enumerate().collect(), |(i, chunk): (usize, &mut [u32])| {
            for (j, x) in chunk.iter_mut().enumerate() {
                *x += (i * 7 + j) as u32 + 1;
            }
        });
        assert_eq!(buffer, (1..=1000).collect::<alloc::vec::Vec<u32>>());
        each(alloc::vec::Vec::<u8>::new(), |_| unreachable!());
    }

    #[cfg(all(feature = "std", not(target_arch = "wasm32")))]
    #[test]
    fn a_panic_on_the_second_thread_is_raised_here() {
        let caught = std::panic::catch_unwind(|| join(|| -> u8 { panic!("from the second thread") }, || 1));
        let message = caught.err().and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(message.as_deref(), Some("from the second thread"));
    }
}
