//! Calls of curried lambdas with two arguments (`f a b`, `foldl'`), which run the inner
//! lambda's body without making its closure: the results, the laziness of the arguments, the
//! error traces and the depth limit are those of two separate calls. Results were checked
//! against CppNix.

use lix_vm::{ErrorKind, EvalConfig, RealIO, Vm};

fn vm(depth: usize) -> Vm {
    let config = EvalConfig { max_call_depth: depth, ..EvalConfig::default() };
    Vm::new(Box::new(RealIO), config)
}

/// `text` forced deeply and printed, or `error: MESSAGE`.
fn eval_in(vm: &mut Vm, text: &str) -> String {
    let r = vm.eval_source("(string)", text, "/").and_then(|v| vm.force_deep(v));
    match r {
        Ok(v) => vm.print_value(v),
        Err(e) => format!("error: {}", e.message),
    }
}

#[test]
fn two_argument_calls_give_what_two_calls_give() {
    let cases = [
        ("let f = a: b: a * 10 + b; in f 1 2", "12"),
        ("let k = 5; f = a: b: [ a b k ]; in f 1 2", "[ 1 2 5 ]"),
        ("let f = a: b: c: a + b + c; in f 1 2 3", "6"),
        ("let f = a: { x, y ? a }: [ a x y ]; in [ (f 1 { x = 2; }) (f 1 { x = 2; y = 3; }) ]", "[ [ 1 2 1 ] [ 1 2 3 ] ]"),
        ("let s = { z = 7; }; f = a: b: with s; a + b + z; in f 1 2", "10"),
        ("let f = a: let y = a * 2; in b: y + b; in f 3 4", "10"),
        ("let add = builtins.add; in add 1 2", "3"),
        ("let m = builtins.map; in m (x: x + 1) [ 1 2 ]", "[ 2 3 ]"),
        ("let p = builtins.foldl' (a: b: a + b); in p 0 [ 1 2 3 ]", "6"),
        ("let o = { __functor = self: a: b: self.base + a + b; base = 100; }; in o 1 2", "103"),
        ("let f = a: b: if a == 0 then b else f (a - 1) (b + a); in f 100 0", "5050"),
        ("let ack = m: n: if m == 0 then n + 1 else if n == 0 then ack (m - 1) 1 else ack (m - 1) (ack m (n - 1)); in ack 2 3", "9"),
        ("let f = a: b: { inherit a b; sum = a + b; }; in builtins.attrValues (f 1 2)", "[ 1 2 3 ]"),
        ("let f = a: b: x: a + b + x; g = f 1 2; in [ (g 3) (g 4) ]", "[ 6 7 ]"),
        ("let f = a: b: builtins.genList (i: a + b + i) 3; in builtins.foldl' (acc: x: acc ++ f (builtins.length acc) x) [ ] [ 1 2 3 ]", "[ 1 2 3 5 6 7 9 10 11 ]"),
        ("let compose = f: g: x: f (g x); inc = x: x + 1; in compose inc inc 1", "3"),
        ("let f = a: b: a; in f 1 (throw \"never\")", "1"),
        ("builtins.foldl' (acc: x: acc // { ${x} = builtins.length (builtins.attrNames acc); }) { } [ \"a\" \"b\" \"c\" ]", "{ a = 0; b = 1; c = 2; }"),
        // `mapAttrs` applies `f name value` in the thunk of each attribute.
        ("let k = 3; in builtins.mapAttrs (n: v: { inherit n; x = v * k; }) { a = 1; b = 2; }", "{ a = { n = \"a\"; x = 3; }; b = { n = \"b\"; x = 6; }; }"),
        ("builtins.mapAttrs (n: { y ? 2, ... }: y) { a = { }; b = { y = 5; }; }", "{ a = 2; b = 5; }"),
        ("builtins.attrValues (builtins.mapAttrs (n: v: builtins.foldl' (a: b: a + b) v [ 1 2 ]) { a = 1; b = 2; })", "[ 4 5 ]"),
        // After its first collection, the list is held only by the running call (a full
        // collection comes every few under stress).
        (
            "let f = a: b: builtins.length (builtins.attrNames b) + builtins.length (builtins.attrNames b) + builtins.length (builtins.attrNames b) + builtins.length (builtins.attrNames b) + builtins.length a; in f [ 1 2 ] { x = 1; }",
            "6",
        ),
    ];
    for stress in [false, true] {
        for (expr, expected) in cases {
            // Under stress a collection runs at every safe point: the upvalues of a running
            // fused call must be roots.
            let mut vm = vm(10_000);
            vm.heap.stress = stress;
            assert_eq!(eval_in(&mut vm, expr), expected, "evaluating {expr} (stress: {stress})");
        }
    }
}

#[test]
fn a_second_argument_stays_lazy_where_the_inner_lambda_keeps_it() {
    // Printed without forcing: a kept argument is still a thunk, as in CppNix.
    let cases = [
        ("let f = a: b: [ b ]; x = 2; in f 1 (x + 3)", "[ <CODE> ]"),
        ("let f = a: let y = a; in b: [ b y ]; x = 2; in f 1 (x + 3)", "[ <CODE> 1 ]"),
        ("let s = { a = 1; }; f = a: b: { inherit b; }; in f 1 s.a", "{ b = <CODE>; }"),
    ];
    for (expr, expected) in cases {
        let mut vm = vm(10_000);
        let v = vm.eval_source("(string)", expr, "/").expect("evaluates");
        assert_eq!(vm.print_value(v), expected, "evaluating {expr}");
    }
}

#[test]
fn an_error_in_a_fused_call_is_traced_as_a_call_of_the_function() {
    let mut vm = vm(10_000);
    let r = vm.eval_source("(string)", "let f = a: b: throw \"boom ${toString b}\"; in f 1 2", "/");
    let e = r.and_then(|v| vm.force_deep(v)).expect_err("throws");
    assert_eq!(e.message, "boom 2");
    let trace: Vec<&str> = e.trace.iter().map(|t| t.message.as_str()).collect();
    assert!(trace.contains(&"while calling 'f'"), "trace: {trace:?}");
}

#[test]
fn a_mapattrs_value_that_needs_itself_is_infinite_recursion() {
    let mut vm = vm(10_000);
    let r = vm.eval_source("(string)", "let s = builtins.mapAttrs (n: v: s.${n}) { a = 1; }; in s.a", "/");
    let e = r.and_then(|v| vm.force_deep(v)).expect_err("recurses");
    assert_eq!(e.kind, ErrorKind::InfiniteRecursion);
    // The thunk failed and stays failed; the VM goes on.
    assert_eq!(eval_in(&mut vm, "builtins.mapAttrs (n: v: n) { b = 1; }"), "{ b = \"b\"; }");
}

#[test]
fn fused_calls_past_the_depth_limit_fail_and_leave_the_vm_usable() {
    let mut vm = vm(5_000);
    for program in ["let f = a: b: f a b + 1; in f 1 2", "builtins.foldl' (a: b: let g = x: y: g x y + 1; in g a b) 0 [ 1 ]"] {
        let e = vm.eval_source("(string)", program, "/").and_then(|v| vm.force_deep(v)).expect_err("overflows");
        assert_eq!(e.kind, ErrorKind::StackOverflow, "{program}");
    }
    // The upvalues of the unwound calls were given back: the same VM still computes.
    vm.heap.stress = true;
    assert_eq!(eval_in(&mut vm, "let f = a: b: if a == 0 then b else f (a - 1) (b + a); in f 100 0"), "5050");
}
