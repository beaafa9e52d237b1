//! Error messages as CppNix words them: operators, comparisons, coercions, the values shown in
//! messages, and the explanations of failed `assert a == b`.

use lix_vm::{EvalConfig, RealIO, Vm};

/// The message of the error evaluating `text` (forced deeply) raises.
fn error(text: &str) -> String {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    match vm.eval_source("(string)", text, "/").and_then(|v| vm.force_deep(v)) {
        Ok(v) => panic!("{text} evaluated to {}", vm.print_value(v)),
        Err(e) => e.into_data().message,
    }
}

/// The error of `assert A == B` for the two expressions of `pair` (`[ A B ]`), with its trace
/// innermost first.
fn inequality(pair: &str) -> (String, Vec<String>) {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    let list = vm.eval_source("(string)", pair, "/").and_then(|v| vm.force(v)).expect("pair evaluates");
    vm.root(list);
    let l = vm.expect_list(list).expect("a list");
    let (a, b) = (vm.heap.list(l)[0], vm.heap.list(l)[1]);
    let e = vm.assert_equal_error(a, b, None, None, "a == b");
    let e = e.into_data();
    (e.message, e.trace.into_iter().map(|t| t.message).collect())
}

#[test]
fn operators() {
    assert_eq!(error(r#"1 + "foo""#), "cannot add a string to an integer");
    assert_eq!(error("1.5 + null"), "cannot add null to a float");
    assert_eq!(error("null + 1"), "cannot coerce null to a string: null");
    assert_eq!(error(r#"builtins.add "foo" 1"#), r#"expected an integer but found a string: "foo""#);
    assert_eq!(error(r#"builtins.div 1 "foo""#), r#"expected a float but found a string: "foo""#);
    assert_eq!(error(r#"builtins.div "foo" 0"#), "division by zero");
    assert_eq!(error(r#""foo" - 1"#), r#"expected an integer but found a string: "foo""#);
    assert_eq!(error("(-9223372036854775807 - 1) / -1"), "integer overflow in dividing -9223372036854775808 / -1");
}

#[test]
fn comparisons() {
    assert_eq!(error(r#"1 < "foo""#), r#"cannot compare an integer with a string; values are 1 and "foo""#);
    assert_eq!(
        error("{ } < { }"),
        "cannot compare a set with a set; values of that type are incomparable (values are { } and { })"
    );
    // Equal elements are skipped by `==`, so incomparable but equal elements do not fail.
    assert_eq!(error("assert !([ { } 1 ] < [ { } 1 ]); abort \"ok\""), "evaluation aborted with the following error message: 'ok'");
}

#[test]
fn values_in_messages() {
    assert!(error(r#""${x: x}""#).starts_with("cannot coerce a function to a string: «lambda @ «string»:1:4»"));
    assert!(error(r#"let f = x: x; in "${f}""#).starts_with("cannot coerce a function to a string: «lambda f @ «string»:1:9»"));
    // The item and attribute limits count over the whole value, as CppNix's do.
    assert_eq!(
        error(r#""" + (let v = [ [ 1 2 3 4 5 6 7 8 ] [ 1 2 3 4 ] ]; in builtins.deepSeq v v)"#),
        "cannot coerce a list to a string: [ [ 1 2 3 4 5 6 7 8 ] [ 1 «3 items elided» ] ]"
    );
    assert_eq!(
        error(r#""${{ __toString = self: [ "1" ]; }}""#),
        r#"cannot coerce a list to a string: [ "1" ]"#
    );
}

#[test]
fn failed_equality_assertions() {
    assert_eq!(inequality(r#"[ "x" "y" ]"#).0, r#"string '"x"' is not equal to string '"y"'"#);
    assert_eq!(inequality("[ false null ]").0, "a Boolean of value 'false' is not equal to null of value 'null'");
    assert_eq!(inequality("[ 1 1.1 ]").0, "an integer with value '1' is not equal to a float with value '1.1'");
    assert_eq!(
        inequality("[ [ 1 0 ] [ 10 ] ]").0,
        "list of size '2' is not equal to list of size '1', left hand side is '[ 1 0 ]', right hand side is '[ 10 ]'"
    );
    assert_eq!(
        inequality("[ { a = true; } { a = true; b = true; } ]").0,
        "attribute names of attribute set '{ a = true; }' differs from attribute set '{ a = true; b = true; }'"
    );
    assert_eq!(
        inequality("[ (x: x) (x: x) ]").0,
        "distinct functions and immediate comparisons of identical functions compare as unequal"
    );
    let (message, trace) = inequality("[ { a.b = [ { c = true; } ]; } { a.b = [ { c = false; } ]; } ]");
    assert_eq!(message, "boolean 'true' is not equal to boolean 'false'");
    assert_eq!(
        trace,
        [
            // Innermost first: each compared attribute's frame follows the frames saying
            // where its two sides are defined.
            "where right hand side is",
            "where left hand side is",
            "while comparing attribute 'c'",
            "while comparing list element 0",
            "where right hand side is",
            "where left hand side is",
            "while comparing attribute 'b'",
            "where right hand side is",
            "where left hand side is",
            "while comparing attribute 'a'",
            "while evaluating the condition of the assertion 'a == b'",
        ]
    );
}

#[test]
fn missing_attributes_suggest_close_names() {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    let set = vm.eval_source("(string)", "{ y = 1; foo = 2; fop = 3; }", "/").and_then(|v| vm.force(v)).expect("a set");
    let g = vm.expect_attrs(set).expect("a set");
    let x = vm.intern(b"x");
    assert_eq!(vm.missing_attr(x, Some(g)).message, "attribute 'x' missing\nDid you mean y?");
    let fo = vm.intern(b"fo");
    assert_eq!(vm.missing_attr(fo, Some(g)).message, "attribute 'fo' missing\nDid you mean one of foo, fop or y?");
}
