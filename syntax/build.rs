//! Generates the LR(1) parser from `src/grammar.lalrpop`, then boxes the parser's
//! error-recovery value (see [`box_error_recovery`]).

use std::path::PathBuf;

fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .process()
        .expect("the grammar must compile");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("grammar.rs");
    let code = std::fs::read_to_string(&out).expect("lalrpop wrote the parser");
    let patched = box_error_recovery(&code);
    if patched != code {
        std::fs::write(&out, patched).expect("the parser can be rewritten");
    }
}

/// The type lalrpop gives the grammar's `!` (error recovery) values.
const RECOVERY: &str = "__lalrpop_util::ErrorRecovery<u32, Tok, Never>";

/// Every value on lalrpop's parse stack is an enum of all grammar value types, as large as the
/// largest. The grammar's own types are kept to 32 bytes (`El`, `Term`), but lalrpop's
/// error-recovery value takes 64, which doubled the size of every stack entry (80 bytes instead
/// of 48) and so the bytes moved by every shift and reduction. It is needed only when the parser
/// recovers from an error, so the generated parser keeps it boxed: three places of lalrpop's
/// output (the variant, where it is made, where it is taken) are rewritten. Panics if lalrpop's
/// output no longer has them, so that a change there shows at build time. Idempotent: lalrpop
/// leaves an up-to-date parser alone.
fn box_error_recovery(code: &str) -> String {
    let boxed = format!("alloc::boxed::Box<{RECOVERY}>");
    if code.contains(&boxed) {
        return code.to_string();
    }
    let variant_decl = format!("({RECOVERY}),");
    let at = code.find(&variant_decl).expect("lalrpop's symbol enum has an error-recovery variant");
    let name_start = code[..at].rfind(char::is_whitespace).expect("the variant has a name") + 1;
    let variant = &code[name_start..at];
    assert!(variant.starts_with("Variant"), "unexpected variant name {variant:?}");
    let replacements = [
        (format!("{variant}({RECOVERY}),"), format!("{variant}({boxed}),")),
        (format!("__Symbol::{variant}(recovery)"), format!("__Symbol::{variant}(alloc::boxed::Box::new(recovery))")),
        (
            format!("Some((__l, __Symbol::{variant}(__v), __r)) => (__l, __v, __r),"),
            format!("Some((__l, __Symbol::{variant}(__v), __r)) => (__l, *__v, __r),"),
        ),
    ];
    let mut code = code.to_string();
    for (old, new) in replacements {
        assert_eq!(code.matches(&old).count(), 1, "lalrpop's output has changed: expected `{old}` once");
        code = code.replace(&old, &new);
    }
    code
}
