//! Builtins through the VM API: each family evaluated on small expressions, results compared
//! in `nix-instantiate --eval --strict` notation (checked against CppNix).

use lix_vm::{EvalConfig, RealIO, Vm};

/// The value of `text`, forced deeply and printed; or `error: MESSAGE`. The heap collects at
/// every safe point, so a builtin that forgets to root a value fails here.
fn eval(text: &str) -> String {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    vm.heap.stress = true;
    let r = vm.eval_source("(string)", text, "/").and_then(|v| vm.force_deep(v));
    match r {
        Ok(v) => vm.print_value(v),
        Err(e) => format!("error: {}", e.message),
    }
}

/// Asserts that each expression prints as expected.
fn check(cases: &[(&str, &str)]) {
    for (expr, expected) in cases {
        assert_eq!(eval(expr), *expected, "evaluating {expr}");
    }
}

#[test]
fn lists() {
    check(&[
        ("builtins.sort builtins.lessThan [ 3 1 2 ]", "[ 1 2 3 ]"),
        (
            "builtins.sort (a: b: a.k < b.k) [ { k = 2; v = 1; } { k = 1; v = 2; } { k = 2; v = 3; } { k = 1; v = 4; } ]",
            "[ { k = 1; v = 2; } { k = 1; v = 4; } { k = 2; v = 1; } { k = 2; v = 3; } ]",
        ),
        (
            "builtins.sort (a: b: a > b) [ 1 5 2 9 3 7 4 8 6 10 12 11 0 15 13 14 ]",
            "[ 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 ]",
        ),
        ("builtins.sort 1 [ ]", "[ ]"),
        ("builtins.sort (_: _: 1) [ 1 2 ]", "error: expected a Boolean but found an integer: 1"),
        ("builtins.concatMap (x: [ x x ]) [ 1 2 ]", "[ 1 1 2 2 ]"),
        // `++` with a list literal on the right appends its items, unforced; the left operand
        // must still be a list.
        ("let xs = [ 1 2 ]; in builtins.length (xs ++ [ 3 (throw \"lazy\") ])", "4"),
        ("let xs = [ 1 2 ]; in [ (xs ++ [ 3 ]) ([ ] ++ [ 4 5 ]) (xs ++ xs) xs ]", "[ [ 1 2 3 ] [ 4 5 ] [ 1 2 1 2 ] [ 1 2 ] ]"),
        ("{ } ++ [ 1 ]", "error: expected a list but found a set: { }"),
        (
            "builtins.foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) [ ] [ 1 2 1 3 2 ]",
            "[ 1 2 3 ]",
        ),
        ("builtins.elem 2 [ 1 2 3 ]", "true"),
        // A filter that keeps everything gives the list itself, which prints as the same list.
        (
            "let l = [ 1 2 3 ]; in [ l (builtins.filter (x: true) l) (builtins.filter (x: x > 1) l) ]",
            "[ [ 1 2 3 ] «repeated» [ 2 3 ] ]",
        ),
        // Numbers across int and float, paths apart from strings, elements forced as
        // reached, the needle not at all when the list is empty.
        ("builtins.elem 1 [ \"a\" 1.0 ]", "true"),
        ("builtins.elem ./a [ \"/a\" ]", "false"),
        ("builtins.elem 2 [ (1 + 1) ]", "true"),
        ("builtins.elem (throw \"no\") [ ]", "false"),
        ("builtins.elem 3 [ 1 (throw \"boom\") 3 ]", "error: boom"),
        ("builtins.elem 1 [ 1 (throw \"boom\") ]", "true"),
        ("builtins.elem null [ false null ]", "true"),
        ("builtins.elem { x = [ 1 ]; } [ 1 { x = [ 1 ]; } ]", "true"),
        // A function is an element of a list that holds that very function; `f == f` is false.
        ("let f = x: x; in builtins.elem f [ 1 f ]", "true"),
        ("builtins.elem (x: x) [ (x: x) ]", "false"),
        ("let f = x: x; in [ (builtins.elem f [ f ]) (f == f) ]", "[ true false ]"),
        // Derivations are equal when their `outPath`s are; whether a set is one is decided by
        // its `type` string (the evaluator remembers the last such string between collections,
        // and this runs with a collection at every safe point).
        (
            "let d = t: o: { type = t; outPath = o; x = o; }; in [ (d \"derivation\" \"a\" == d \"derivation\" \"a\") \
             (d \"derivation\" \"a\" == d \"derivation\" \"b\") (d (\"deriv\" + \"ation\") \"a\" == d \"derivation\" \"a\") \
             (builtins.elem (d \"derivationX\" \"a\") [ (d \"derivationX\" \"b\") ]) \
             (d \"derivation\" \"a\" == { type = \"derivation\"; outPath = \"a\"; y = 1; }) \
             (builtins.elem (d \"derivationX\" \"a\") [ (d \"derivationX\" \"a\") ]) ]",
            "[ true false true false true true ]",
        ),
        ("builtins.elem 4 [ 1 2 3 ]", "false"),
        ("builtins.all (x: x > 0) [ 1 2 ]", "true"),
        ("builtins.any (x: x > 1) [ 1 2 ]", "true"),
        ("builtins.any (x: x > 1) [ ]", "false"),
        ("builtins.partition (x: x > 2) [ 1 2 3 4 ]", "{ right = [ 3 4 ]; wrong = [ 1 2 ]; }"),
        (
            r#"builtins.groupBy (x: if x > 2 then "big" else "small") [ 1 2 3 4 ]"#,
            "{ big = [ 3 4 ]; small = [ 1 2 ]; }",
        ),
        (
            "builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: if x.key < 3 then [ { key = x.key + 1; } { key = 1; } ] else [ ]; }",
            "[ { key = 1; } { key = 2; } { key = 3; } ]",
        ),
        (
            "builtins.genericClosure { startSet = [ { nokey = 1; } ]; operator = x: [ ]; }",
            "error: attribute 'key' missing",
        ),
    ]);
}

#[test]
fn attrs() {
    check(&[
        (r#"builtins.catAttrs "a" [ { a = 1; } { b = 2; } { a = 3; } ]"#, "[ 1 3 ]"),
        ("builtins.intersectAttrs { a = 1; b = 2; } { b = 3; c = 4; }", "{ b = 3; }"),
        ("builtins.zipAttrsWith (n: v: v) [ { a = 1; } { a = 2; b = 3; } ]", "{ a = [ 1 2 ]; b = [ 3 ]; }"),
        (r#"builtins.zipAttrsWith (n: v: n) [ { a = 1; } ]"#, r#"{ a = "a"; }"#),
        (r#"builtins.unsafeGetAttrPos "abort" builtins"#, "null"),
        // The attributes are worked out once per lambda, but each call makes a set of its own
        // (printing tells shared sets apart), positions included.
        (
            r#"let mk = x: { a, b ? x }: a; f = mk 1; g = mk 2; in [ (builtins.functionArgs f) (builtins.functionArgs g) ((builtins.unsafeGetAttrPos "b" (builtins.functionArgs g)).column) (builtins.functionArgs ({ ... }: 1)) (builtins.functionArgs (x: x)) ]"#,
            "[ { a = false; b = true; } { a = false; b = true; } 18 { } { } ]",
        ),
    ]);
}

#[test]
fn strings() {
    check(&[
        (r#"builtins.substring 1 3 "abcdef""#, r#""bcd""#),
        (r#"builtins.substring 4 10 "abcdef""#, r#""ef""#),
        (r#"builtins.substring 2 (-1) "abcdef""#, r#""cdef""#),
        (r#"builtins.substring (-1) 1 "x""#, "error: negative start position in 'substring'"),
        (r#"builtins.stringLength "héllo""#, "6"),
        (r#"builtins.replaceStrings [ "a" "b" ] [ "x" "y" ] "abcab""#, r#""xycxy""#),
        (r#"builtins.replaceStrings [ "" ] [ "-" ] "ab""#, r#""-a-b-""#),
        (r#"builtins.replaceStrings [ "oo" "XX" ] [ "u" (throw "unused") ] "foobar""#, r#""fubar""#),
        (r#"builtins.concatStringsSep ", " [ "a" "b" "c" ]"#, r#""a, b, c""#),
        // Sized before it is copied: empty parts, coerced parts, the first error in order.
        (r#"builtins.concatStringsSep ", " [ "a" "bc" "" "d" ]"#, r#""a, bc, , d""#),
        (r#"builtins.concatStringsSep "-" [ "a" { outPath = "/x"; } { __toString = s: "t"; } ]"#, r#""a-/x-t""#),
        (r#"builtins.concatStringsSep "," [ ]"#, r#""""#),
        (r#"builtins.concatStringsSep "," [ "a" (throw "no") (abort "later") ]"#, "error: no"),
        // Computed names, each a new string that the next collection frees (this runs with a
        // collection at every safe point), so their slots are reused by the next names.
        (
            r#"let s = { a = 1; b = 2; c = 3; }; in builtins.genList (i: s.${builtins.elemAt [ "a" "b" "c" ] i + ""}) 3"#,
            "[ 1 2 3 ]",
        ),
        (r#"let s = { a = 1; b = 2; }; in map (n: s.${n}) (builtins.attrNames s ++ builtins.attrNames s)"#, "[ 1 2 1 2 ]"),
        (r#"baseNameOf "/a/b/c.nix""#, r#""c.nix""#),
        (r#"baseNameOf "a//""#, r#""""#),
        (r#"dirOf "/a/b/c""#, r#""/a/b""#),
        (r#"dirOf "a///b""#, r#""a//""#),
        ("dirOf /a/b", "/a"),
        ("dirOf /.", "/"),
    ]);
}

#[test]
fn string_context() {
    check(&[
        (r#"builtins.hasContext "abc""#, "false"),
        (r#"builtins.getContext "abc""#, "{ }"),
        (
            r#"builtins.getContext (builtins.appendContext "x" { "/nix/store/00000000000000000000000000000000-a.drv" = { outputs = [ "out" "dev" ]; allOutputs = true; }; })"#,
            r#"{ "/nix/store/00000000000000000000000000000000-a.drv" = { allOutputs = true; outputs = [ "dev" "out" ]; }; }"#,
        ),
        (
            r#"builtins.hasContext (builtins.unsafeDiscardStringContext (builtins.appendContext "x" { "/nix/store/00000000000000000000000000000000-a" = { path = true; }; }))"#,
            "false",
        ),
        (
            r#"builtins.getContext (builtins.unsafeDiscardOutputDependency (builtins.appendContext "x" { "/nix/store/00000000000000000000000000000000-a.drv" = { allOutputs = true; }; }))"#,
            r#"{ "/nix/store/00000000000000000000000000000000-a.drv" = { path = true; }; }"#,
        ),
        (r#"builtins.appendContext "x" { "/tmp/x" = { path = true; }; }"#, "error: context key '/tmp/x' is not a store path"),
    ]);
}

#[test]
fn regexes() {
    check(&[
        (r#"builtins.split "(a)|b" "xaybz""#, r#"[ "x" [ "a" ] "y" [ null ] "z" ]"#),
        (r#"builtins.split "[[:digit:]]+" "a12b3""#, r#"[ "a" [ ] "b" [ ] "" ]"#),
        (r#"builtins.split "x*" "ab""#, r#"[ "" [ ] "a" [ ] "b" [ ] "" ]"#),
        (r#"builtins.match "([a-z]+)-([0-9]*)" "foo-123""#, r#"[ "foo" "123" ]"#),
        (r#"builtins.match "a" "ab""#, "null"),
        (r#"builtins.match "(a)?b" "b""#, "[ null ]"),
        (r#"builtins.match "[]a]+" "a]a""#, "[ ]"),
        (r#"builtins.split "f(o*o" "1foo2""#, "error: invalid regular expression 'f(o*o'"),
    ]);
}

#[test]
fn versions() {
    check(&[
        (r#"builtins.splitVersion "1.2pre3-rc4""#, r#"[ "1" "2" "pre" "3" "rc" "4" ]"#),
        (r#"builtins.compareVersions "1.10" "1.9""#, "1"),
        (r#"builtins.compareVersions "2.3pre1" "2.3""#, "-1"),
        (r#"builtins.compareVersions "2.3" "2.3""#, "0"),
        (r#"builtins.parseDrvName "hello-2.1.1""#, r#"{ name = "hello"; version = "2.1.1"; }"#),
        (r#"builtins.parseDrvName "hello""#, r#"{ name = "hello"; version = ""; }"#),
    ]);
}

#[test]
fn conversions() {
    check(&[
        (
            r#"builtins.toJSON { a = [ 1 2.5 "x\n" null true ]; b = { c = 1.0; }; }"#,
            r#""{\"a\":[1,2.5,\"x\\n\",null,true],\"b\":{\"c\":1.0}}""#,
        ),
        ("builtins.toJSON 1.0e20", r#""1e+20""#),
        ("builtins.toJSON 0.1", r#""0.1""#),
        (r#"builtins.toJSON { __toString = self: "s"; }"#, r#""\"s\"""#),
        (r#"builtins.toJSON { outPath = "o"; }"#, r#""\"o\"""#),
        (
            r#"builtins.fromJSON ''{"a": [1, 2.5, "x", null, true], "b": {"c": -3}}''"#,
            r#"{ a = [ 1 2.5 "x" null true ]; b = { c = -3; }; }"#,
        ),
        (
            r#"builtins.fromJSON "18446744073709551615""#,
            "error: unsigned json number 18446744073709551615 outside of Nix integer range",
        ),
        ("builtins.fromTOML ''\n  a = 1\n  [t]\n  b = \"x\"\n  c = [1.5, true]\n''", r#"{ a = 1; t = { b = "x"; c = [ 1.5 true ]; }; }"#),
        ("builtins.fromTOML \"d = 1979-05-27\"", "error: while parsing TOML: Dates and times are not supported"),
        (
            r#"builtins.toXML { a = [ 1 "s" ]; b = null; f = x: x; }"#,
            r#""<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrs>\n    <attr name=\"a\">\n      <list>\n        <int value=\"1\" />\n        <string value=\"s\" />\n      </list>\n    </attr>\n    <attr name=\"b\">\n      <null />\n    </attr>\n    <attr name=\"f\">\n      <function>\n        <varpat name=\"x\" />\n      </function>\n    </attr>\n  </attrs>\n</expr>\n""#,
        ),
        (
            r#"builtins.toXML "a\"<>&""#,
            r#""<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <string value=\"a&quot;&lt;&gt;&amp;\" />\n</expr>\n""#,
        ),
    ]);
}

#[test]
fn hashes() {
    check(&[
        (r#"builtins.hashString "md5" "hello""#, r#""5d41402abc4b2a76b9719d911017c592""#),
        (r#"builtins.hashString "sha1" "hello""#, r#""aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d""#),
        (
            r#"builtins.hashString "sha256" "hello""#,
            r#""2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824""#,
        ),
        (
            r#"builtins.convertHash { hash = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; toHashFormat = "nix32"; }"#,
            r#""094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic""#,
        ),
        (
            r#"builtins.convertHash { hash = "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"; hashAlgo = "sha256"; toHashFormat = "sri"; }"#,
            r#""sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=""#,
        ),
        (
            r#"builtins.convertHash { hash = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="; toHashFormat = "base16"; }"#,
            r#""2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824""#,
        ),
        (
            r#"builtins.hashString "foo" "x""#,
            "error: unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'\n\
             Try 'nix-instantiate --help' for more information.",
        ),
    ]);
}

#[test]
fn numbers() {
    check(&[
        ("builtins.bitAnd 12 10", "8"),
        ("builtins.bitOr 12 10", "14"),
        ("builtins.bitXor 12 10", "6"),
        ("builtins.floor 2.7", "2"),
        ("builtins.ceil 2.1", "3"),
        ("builtins.floor (-2.5)", "-3"),
        ("builtins.ceil 23", "23"),
        (r#"builtins.floor "x""#, r#"error: expected a float but found a string: "x""#),
    ]);
}

#[test]
fn files() {
    let dir = std::env::temp_dir().join(format!("lixc-builtins-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("f.txt"), "hello").unwrap();
    let d = dir.display();
    check(&[
        (&format!("builtins.readFile {d}/f.txt"), r#""hello""#),
        (&format!("builtins.readDir {d}"), r#"{ "f.txt" = "regular"; sub = "directory"; }"#),
        (&format!("builtins.readFileType {d}/sub"), r#""directory""#),
        (&format!("builtins.pathExists {d}/f.txt"), "true"),
        (&format!(r#"builtins.pathExists "{d}/f.txt/""#), "false"),
        (&format!("builtins.pathExists {d}/missing"), "false"),
        (&format!("builtins.hashFile \"md5\" {d}/f.txt"), r#""5d41402abc4b2a76b9719d911017c592""#),
        (r#"builtins.toPath "/a/../b""#, r#""/b""#),
        (r#"builtins.pathExists "relative""#, "error: string 'relative' doesn't represent an absolute path"),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn misc() {
    check(&[
        (r#"builtins.addErrorContext "ctx" 42"#, "42"),
        (r#"(builtins.tryEval (builtins.addErrorContext "ctx" (throw "x"))).success"#, "false"),
        ("builtins.typeOf builtins.currentTime", r#""int""#),
        ("builtins.currentTime == builtins.currentTime", "true"),
        (r#"builtins.traceVerbose "x" 1"#, "1"),
        (r#"builtins.warn "careful" 2"#, "2"),
        ("break 3", "3"),
    ]);
}

#[test]
fn error_context_is_in_the_trace() {
    let mut vm = Vm::new(Box::new(RealIO), EvalConfig::default());
    let v = vm.eval_source("(string)", r#"builtins.addErrorContext "while testing" (throw "boom")"#, "/");
    let e = v.and_then(|v| vm.force_deep(v)).unwrap_err();
    assert_eq!(e.message, "boom");
    assert!(e.trace.iter().any(|t| t.message == "while testing"), "{:?}", e.trace);
}

/// `__overrides` replace a `rec` set's values in the set and in its scope; closures and thunks
/// of the scope see the new values, and a value put there from outside (here the running
/// function itself) is left as it is (expected values from CppNix 2.8).
#[test]
fn rec_overrides() {
    check(&[
        ("rec { __overrides = { a = 2; }; a = 1; b = a; f = x: a + x; c = f 1; }.c", "3"),
        ("(rec { __overrides = { a = 2; }; a = 1; b = a; }).b", "2"),
        (
            "let f = n: let s = rec { __overrides = { a = f; }; a = x: b; b = n; c = a; }; in \
             if n == 0 then s.b else [ n (s.c (n - 1)) ]; in f 2",
            "[ 2 [ 1 0 ] ]",
        ),
    ]);
}

/// `//` against its definition (the right side wins, every name of both), for sets of many
/// sizes whose names interleave in different ways.
#[test]
fn update_agrees_with_its_definition() {
    let program = r#"
      let
        mk = n: k: builtins.listToAttrs (builtins.genList (i: { name = "a${toString (i * k)}"; value = i * k + n; }) n);
        naive = a: b: builtins.listToAttrs (map (name: { inherit name; value = if b ? ${name} then b.${name} else a.${name}; })
          (builtins.attrNames a ++ builtins.attrNames b));
        check = a: b: a // b == naive a b;
        sizes = builtins.genList (n: n) 14 ++ [ 20 33 41 ];
      in builtins.all (n: builtins.all (m: check (mk n 2) (mk m 3) && check (mk n 5) (mk m 1)) sizes) sizes
    "#;
    check(&[(program, "true")]);
}
