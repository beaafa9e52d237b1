//! The garbage collector, tested through the VM: cycles are collected, the heap returns to its
//! baseline after a loop, and values held only by native code survive when rooted.

use lix_vm::gc::Obj;
use lix_vm::{EvalConfig, RealIO, Value, Vm};

fn vm() -> Vm {
    Vm::new(Box::new(RealIO), EvalConfig::default())
}

fn eval(vm: &mut Vm, text: &str) -> Value {
    let v = vm.eval_source("(string)", text, "/").expect("evaluates");
    vm.force_deep(v).expect("forces")
}

#[test]
fn a_million_cyclic_sets_leave_no_trace() {
    let mut vm = vm();
    eval(&mut vm, "1");
    vm.collect_garbage();
    let baseline = vm.heap.live_objects();
    let program = "builtins.foldl' (acc: i: let x = { y = x; n = i; }; in acc + x.y.y.n) 0 (builtins.genList (i: i) 1000000)";
    let v = eval(&mut vm, program);
    assert_eq!(vm.print_value(v), "499999500000");
    assert!(vm.heap.stats.collections > 0, "the loop should have triggered collections");
    vm.collect_garbage();
    let after = vm.heap.live_objects();
    // The second program's constants stay (they belong to a loaded file); nothing else does.
    assert!(after <= baseline + 16, "heap grew from {baseline} to {after} objects");
}

#[test]
fn rooted_values_survive_and_unrooted_ones_are_freed() {
    let mut vm = vm();
    let kept_str = vm.new_string(b"kept".as_slice());
    let kept = vm.new_list(vec![kept_str, Value::Int(1)]);
    let dropped_str = vm.new_string(b"dropped".as_slice());
    let dropped = vm.new_list(vec![dropped_str]);
    let mark = vm.root(kept);
    vm.collect_garbage();
    let (Value::List(k), Value::List(d)) = (kept, dropped) else { unreachable!() };
    assert_eq!(vm.print_value(Value::List(k)), "[ \"kept\" 1 ]");
    assert!(matches!(vm.heap.get(d), Obj::Free), "an unrooted list must be collected");
    vm.unroot(mark);
    vm.collect_garbage();
    assert!(matches!(vm.heap.get(k), Obj::Free), "after unrooting, the list is garbage");
}

#[test]
fn stress_mode_collects_at_every_safe_point() {
    let mut vm = vm();
    vm.heap.stress = true;
    let program = "let f = n: if n == 0 then [ ] else [ n ] ++ f (n - 1); xs = f 200; in builtins.foldl' (a: b: a + b) 0 (map (x: x * 2) xs)";
    let v = eval(&mut vm, program);
    assert_eq!(vm.print_value(v), "40200");
    assert!(vm.heap.stats.collections > 200);
}
