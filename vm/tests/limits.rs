//! Resource limits: deep recursion ends in a located "stack overflow" error, quickly and in
//! bounded memory, whether it goes through lambdas, thunks or builtins.

use lix_vm::{ErrorKind, EvalConfig, RealIO, Vm};

fn eval_err(text: &str, depth: usize) -> lix_vm::EvalError {
    let config = EvalConfig { max_call_depth: depth, ..EvalConfig::default() };
    let mut vm = Vm::new(Box::new(RealIO), config);
    let r = vm.eval_source("(string)", text, "/").and_then(|v| vm.force_deep(v));
    match r {
        Ok(v) => panic!("expected an error, got {}", vm.print_value(v)),
        Err(e) => e,
    }
}

#[test]
fn recursion_through_lambdas_overflows_cleanly() {
    let e = eval_err("let f = x: f x + 1; in f 1", 50_000);
    assert_eq!(e.kind, ErrorKind::StackOverflow);
    assert_eq!(e.message, "stack overflow; max-call-depth exceeded");
}

#[test]
fn recursion_through_builtins_overflows_cleanly() {
    // Every level forces through a builtin (native recursion) and memoises the error in a
    // thunk on the way out; this must stay linear in the depth.
    let e = eval_err("let f = x: builtins.seq (f x) 1; in f 1", 50_000);
    assert_eq!(e.kind, ErrorKind::StackOverflow);
    let e = eval_err("let f = n: builtins.head [ (f (n + 1)) ]; in f 0", 50_000);
    assert_eq!(e.kind, ErrorKind::StackOverflow);
}

#[test]
fn a_thunk_that_needs_itself_is_infinite_recursion() {
    let e = eval_err("let x = { a = x.a + 1; }; in x.a", 50_000);
    assert_eq!(e.kind, ErrorKind::InfiniteRecursion);
    assert!(e.pos.is_some() || e.trace.iter().any(|t| t.pos.is_some()), "the error is located");
}
