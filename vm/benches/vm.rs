//! The VM's hot paths, one small Nix program each: lambda calls, thunks, attribute sets and
//! `//`, lists through `genList`/`map`/`foldl'`, string concatenation and interpolation, `with`
//! lookups, and an allocation-heavy loop that makes the collector work.
//!
//! One iteration evaluates the program from its text in a fresh VM (`Vm::new`, outside the
//! timing) with `eval_source` and forces the result deeply with `force_deep`, so the figure
//! includes parsing and compiling the program; the `load` benchmark measures that part alone
//! on a program of similar size whose evaluation does nothing, for subtracting.
//!
//! Run with `cargo bench -p lix-vm --bench vm` (`-- calls` for one of them). `cargo test` does
//! not run benchmarks; `cargo bench -p lix-vm --no-run` checks that they build, and
//! `cargo test -p lix-vm --benches` runs each program once (criterion's test mode).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lix_vm::{EvalConfig, RealIO, Vm};

/// The programs: a name, then the Nix text. Each evaluates in the order of milliseconds in a
/// release build, so that evaluation, not loading, dominates.
const PROGRAMS: &[(&str, &str)] = &[
    // Parsing and compiling only: a function that is never called.
    ("load", "let unused = n: if n < 2 then n else unused (n - 1) + unused (n - 2); in 0"),
    // About 22 000 lambda calls, each with a comparison and arithmetic.
    ("calls/fib-20", "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 20"),
    // About 46 000 calls of a curried two-argument lambda (`f a b`), each fused into one frame.
    (
        "calls/ackermann-2-arg",
        "let ack = m: n: if m == 0 then n + 1 else if n == 0 then ack (m - 1) 1 else ack (m - 1) (ack m (n - 1)); \
         in ack 2 150",
    ),
    // Three lazy applications (thunks) per step, forced in a chain.
    (
        "thunks/create-force",
        "let id = x: x; in builtins.foldl' (acc: i: let a = id i; b = id a; c = id b; in acc + c) 0 \
         (builtins.genList (i: i) 20000)",
    ),
    // 10 000 sets of four attributes, built and forced deeply.
    (
        "attrs/construct",
        "map (i: { a = i; b = i + 1; c = [ i ]; inherit i; }) (builtins.genList (i: i) 10000)",
    ),
    // `//` on a set that grows to 100 attributes, 2 000 times.
    (
        "attrs/update",
        "builtins.attrNames (builtins.foldl' (acc: i: acc // { \"k${toString (i - i / 100 * 100)}\" = i; }) { } \
         (builtins.genList (i: i) 2000))",
    ),
    // 100 000 elements through genList, map and foldl'.
    (
        "lists/genList-map-foldl",
        "builtins.foldl' (a: b: a + b) 0 (map (x: x * 2) (builtins.genList (i: i) 100000))",
    ),
    // nixpkgs' `lib.unique` on 20 000 five-element lists: `elem` on a short list and
    // `acc ++ [ e ]` (an append that makes no list for the literal).
    (
        "lists/unique-small",
        "let unique = builtins.foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) [ ]; in \
         builtins.foldl' (acc: i: acc + builtins.length (unique [ i 1 2 i 3 ])) 0 (builtins.genList (i: i) 20000)",
    ),
    // `+` on strings, 2 000 times on an accumulator that grows to 20 000 bytes.
    (
        "strings/concat",
        "builtins.stringLength (builtins.foldl' (acc: i: acc + \"abcdefghij\") \"\" (builtins.genList (i: i) 2000))",
    ),
    // Interpolation of two integers into 10 000 strings, then joined.
    (
        "strings/interpolate",
        "builtins.stringLength (builtins.concatStringsSep \",\" \
         (map (i: \"item-${toString i}-${toString (i * 2)}\") (builtins.genList (i: i) 10000)))",
    ),
    // Variables found through two nested `with`s, 20 000 times.
    (
        "with/lookup",
        "let outer = { a = 1; b = 2; c = 3; d = 4; }; inner = { e = 5; f = 6; }; in \
         builtins.foldl' (acc: i: with outer; with inner; acc + a + b + c + d + e + f + i) 0 \
         (builtins.genList (i: i) 20000)",
    ),
    // 200 000 short-lived cyclic sets and lists: the collector runs many times.
    (
        "gc/cyclic-garbage",
        "builtins.foldl' (acc: i: let x = { y = x; n = i; l = [ i i ]; }; in acc + x.y.y.n + builtins.length x.l) 0 \
         (builtins.genList (i: i) 200000)",
    ),
    // A package's environment string, 2 000 times, as nixpkgs' `mkDerivation` builds one:
    // `removeAttrs` and `//` of small sets, `attrNames`, `map`, `isList`, interpolation and
    // `concatStringsSep` (the part of ../shared/bench/minipkgs.nix that is slowest against
    // CppNix).
    (
        "packages/env-string",
        "let mk = i: let env = builtins.removeAttrs { meta = 1; pos = 2; pname = \"p${toString i}\"; \
         flags = [ \"--a\" \"--b\" ]; } [ \"meta\" \"pos\" ] // { name = \"n${toString i}\"; \
         builder = \"/bin/sh\"; args = [ \"-e\" \"setup.sh\" ]; system = \"x86_64-linux\"; \
         outputs = [ \"out\" \"dev\" ]; src = \"/fake/src\"; }; in builtins.concatStringsSep \";\" \
         (map (k: let v = env.${k}; in \"${k}=${if builtins.isList v then builtins.concatStringsSep \" \" \
         (map toString v) else toString v}\") (builtins.attrNames env)); \
         in builtins.foldl' (acc: s: acc + builtins.stringLength s) 0 (builtins.genList mk 2000)",
    ),
];

/// A fresh VM, as `lixc eval` makes one.
fn fresh_vm() -> Vm {
    Vm::new(Box::new(RealIO), EvalConfig::default())
}

/// Evaluates `text` in `vm` and forces the result deeply; the VM comes back so that dropping it
/// is not timed.
fn evaluate(mut vm: Vm, text: &str) -> Vm {
    let v = vm.eval_source("(string)", text, "/").expect("the benchmark program evaluates");
    let v = vm.force_deep(v).expect("the benchmark program forces");
    black_box(v);
    vm
}

fn vm_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("vm");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4)).sample_size(20);
    for (name, text) in PROGRAMS {
        group.bench_function(*name, |b| b.iter_batched(fresh_vm, |vm| evaluate(vm, text), BatchSize::SmallInput));
    }
    group.finish();
}

criterion_group!(benches, vm_benches);
criterion_main!(benches);
