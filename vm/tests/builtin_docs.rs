//! Every builtin documents itself: its doc comment (what it does and what it costs) is what
//! `lixc doc builtins` prints.

#[test]
fn every_builtin_has_its_doc_comment() {
    let missing: Vec<&str> =
        lix_vm::builtins::TABLE.iter().filter(|b| b.doc().trim().is_empty()).map(|b| b.name).collect();
    assert!(missing.is_empty(), "builtins without a doc comment: {missing:?}");
}
