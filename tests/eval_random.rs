//! Random programs, generated from the grammar, through the whole evaluator: each either
//! evaluates or ends in an error, and nothing panics (in normal and in GC stress mode).

use lix_vm::{EvalConfig, RealIO, Vm};
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3i64..10).prop_map(|i| i.to_string()),
        Just("1.5".to_string()),
        Just("\"s\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("x".to_string()),
        Just("y".to_string()),
        Just("[ ]".to_string()),
        Just("{ }".to_string()),
        Just("builtins.length".to_string()),
        Just("builtins.attrNames".to_string()),
        Just("(throw \"t\")".to_string()),
        Just("./p".to_string()),
        Just("__curPos".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "==", "!=", "<", ">=", "&&", "||", "->", "++", "//"]))
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(let x = {a}; y = {b}; in {a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(rec {{ x = {a}; y = {b}; z = x; }})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("((x: {a}) {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(({{ x ? {a}, ... }}@y: {b}) {{ }})")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(a, b, c)| format!("(if {a} then {b} else {c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(with {a}; {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}.x or {b})")),
            inner.clone().prop_map(|a| format!("({a} ? x)")),
            inner.clone().prop_map(|a| format!("[ {a} {a} ]")),
            inner.clone().prop_map(|a| format!("{{ x = {a}; }}")),
            inner.clone().prop_map(|a| format!("\"a${{{a}}}b\"")),
            inner.clone().prop_map(|a| format!("(builtins.tryEval {a})")),
            inner.clone().prop_map(|a| format!("(builtins.deepSeq {a} {a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(map (x: {a}) [ {b} ])")),
            inner.clone().prop_map(|a| format!("(toString {a})")),
            inner.clone().prop_map(|a| format!("(!{a})")),
            inner.clone().prop_map(|a| format!("(assert {a}; {a})")),
        ]
    })
}

fn run(program: &str, stress: bool) {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    vm.heap.stress = stress;
    let program = format!("let x = 1; y = {{ x = 2; }}; in {program}");
    if let Ok(v) = vm.eval_source("(string)", &program, "/") {
        let _ = vm.force_deep(v).map(|v| vm.print_value(v));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_never_panic(program in expr()) {
        run(&program, false);
    }

    #[test]
    fn random_programs_never_panic_under_gc_stress(program in expr()) {
        run(&program, true);
    }
}
