//! Independent work (projects, then a project's artifacts) spread over the
//! machine's cores, with the results in input order so that output stays
//! deterministic. A call made from inside a worker runs inline: many projects
//! parallelize by project, a single project by artifact, never both at once.

use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// Set on the threads [`map`] starts.
    static IN_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// How many worker threads a run over `items` items uses: one per core, never
/// more than there are items.
#[must_use]
pub fn workers(items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items)
        .max(1)
}

/// Applies `f` to every item, on [`workers`] threads, and returns the results
/// in the order of `items`. Items are handed out one at a time, so a slow
/// project does not hold up a whole share of the others.
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = workers(items.len());
    if threads == 1 || IN_WORKER.with(Cell::get) {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                IN_WORKER.with(|w| w.set(true));
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    mine.push((i, f(item)));
                }
                done.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(mine);
            });
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u64> = (0..500).collect();
        // Uneven work, so threads finish out of order.
        let out = map(&items, |&n| {
            if n % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n * 2
        });
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_call_inside_a_worker_runs_on_that_worker() {
        let outer: Vec<u32> = (0..8).collect();
        let threads = map(&outer, |_| {
            let me = std::thread::current().id();
            map(&[1, 2, 3], |_| std::thread::current().id() == me)
        });
        assert!(threads.iter().flatten().all(|same| *same));
    }

    #[test]
    fn no_items_no_work() {
        let out: Vec<u8> = map(&[] as &[u8], |_| unreachable!());
        assert!(out.is_empty());
        assert_eq!(workers(0), 1);
    }
}
