//! A decision (select + update) never touches the heap: counted per thread
//! with a global allocator wrapper after warm-up, for both algorithms and
//! the named-strategy selector.

use linucb::{DisjointLinUcb, HybridLinUcb, LinUcb, LinUcbParams, ParamGuard, RegimeMode};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads do not count.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: TLS may already be gone while a thread shuts down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn contexts(n: usize, d: usize) -> Vec<f64> {
    let mut r = agent_core::SplitMix64::new(5);
    (0..n * d).map(|_| r.next_f64() - 0.5).collect()
}

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn disjoint_and_hybrid_decisions_do_not_allocate() {
    // The counter itself works.
    assert_eq!(allocations(|| drop(std::hint::black_box(vec![1u8]))), 1);
    let (d, k) = (16, 8);
    let xs = contexts(2000, d);
    let mut m = DisjointLinUcb::new(d, k, 1.0, 1.0, 64).unwrap();
    let mut h = HybridLinUcb::new(d, k, None, 1.0, 1.0, 64).unwrap();
    // One decision first: lazy one-time set-up (CPU feature detection) is
    // not a per-decision cost.
    let (a, _) = m.select(&xs[..d]).unwrap();
    m.update(&xs[..d], a, 0.0).unwrap();
    let n = allocations(|| {
        for i in 0..2000 {
            let x = &xs[i * d..(i + 1) * d];
            let (a, _) = m.select(x).unwrap();
            m.update(x, a, x[0]).unwrap();
            let (a, _) = h.select(x).unwrap();
            h.update(x, a, x[1]).unwrap();
        }
    });
    // 2000 decisions include dozens of exact re-inversions (every 64 updates).
    assert_eq!(n, 0, "{n} allocations in 4000 decisions");
}

#[test]
fn strategy_selector_decisions_do_not_allocate() {
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::Context)
        .check()
        .unwrap();
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut m = LinUcb::new(
        &p,
        names(&["a", "b", "c"]),
        names(&["low", "high"]),
        names(&["f1", "f2", "f3"]),
    )
    .unwrap();
    let xs = contexts(1000, 3);
    let (a, _) = m.select(0, &xs[..3]).unwrap();
    m.update(0, &xs[..3], a, 0.0).unwrap();
    let n = allocations(|| {
        for i in 0..1000 {
            let f = &xs[i * 3..(i + 1) * 3];
            let (a, _) = m.select(i % 2, f).unwrap();
            m.update(i % 2, f, a, f[0] - f[1]).unwrap();
        }
    });
    assert_eq!(n, 0, "{n} allocations in 1000 decisions");
}
