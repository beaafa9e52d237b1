//! Every lint with its stable code, name, severity, tags, one-line description and the
//! explanation `lixc check --explain CODE` prints.

/// How serious a finding is, least serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A suggestion; never fails a run unless `--deny hint`.
    Hint,
    /// Probably a mistake or needless code.
    Warning,
    /// The file is wrong.
    Error,
}

impl Severity {
    /// The name used in configuration and output.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The severity named `name`.
    pub fn from_name(name: &str) -> Option<Severity> {
        match name {
            "hint" | "info" | "note" => Some(Severity::Hint),
            "warning" | "warn" => Some(Severity::Warning),
            "error" | "deny" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// What kind of finding a lint reports, for editors (greyed out, struck through).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Code that can be removed without changing anything.
    Unnecessary,
    /// Syntax or a builtin that is on its way out.
    Deprecated,
}

macro_rules! lints {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $code:literal, $name:literal, $severity:ident, [$($tag:ident),*], $desc:literal,
        $explanation:literal;
    )*) => {
        /// A lint of `lixc check`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Lint {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Lint {
            /// Every lint, in code order.
            pub const ALL: &'static [Lint] = &[$(Lint::$variant,)*];

            /// The stable code (`L001`).
            pub fn code(self) -> &'static str {
                match self { $(Lint::$variant => $code,)* }
            }

            /// The stable name (`unused-let`).
            pub fn name(self) -> &'static str {
                match self { $(Lint::$variant => $name,)* }
            }

            /// The severity unless configuration changes it.
            pub fn default_severity(self) -> Severity {
                match self { $(Lint::$variant => Severity::$severity,)* }
            }

            /// Editor tags.
            pub fn tags(self) -> &'static [Tag] {
                match self { $(Lint::$variant => &[$(Tag::$tag),*],)* }
            }

            /// What the lint finds, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Lint::$variant => $desc,)* }
            }

            /// Why it matters and how to fix it, with an example.
            pub fn explanation(self) -> &'static str {
                match self { $(Lint::$variant => $explanation,)* }
            }
        }
    };
}

impl Lint {
    /// The lint with code (`L001`) or name (`unused-let`) `key`, any case.
    pub fn from_code(key: &str) -> Option<Lint> {
        Lint::ALL.iter().copied().find(|l| l.code().eq_ignore_ascii_case(key) || l.name().eq_ignore_ascii_case(key))
    }
}

lints! {
    /// A `let` binding that nothing refers to.
    UnusedLet = "L001", "unused-let", Warning, [Unnecessary],
    "a `let` binding that nothing refers to",
    "A name bound by `let` that neither the body nor another binding refers to (references from
inside its own value do not count) is dead code: Nix is lazy, so its value is never computed.

    let
      unused = import ./big.nix;   # L001
      x = 1;
    in x

Fix (safe): the binding is removed; an `inherit` loses just that name. When a `let` is left
without bindings, L015 removes it next. Names starting with `_` are exempt.";

    /// A lambda's plain parameter that the body does not use.
    UnusedLambdaArg = "L002", "unused-lambda-arg", Warning, [Unnecessary],
    "a function parameter that the body does not use",
    "The parameter of `x: body` is never used in `body`. Name it `_` (or give it a name starting
with `_`) to say so; `--no-lambda-arg` turns this lint off.

    map (x: 1) list        # L002
    map (_: 1) list

No automatic fix: the name may document the argument.";

    /// A field of a pattern that the body does not use.
    UnusedPatternField = "L003", "unused-pattern-field", Warning, [Unnecessary],
    "a field of a `{ ... }:` pattern that the function does not use",
    "A pattern field that neither the body nor another field's default uses. Removing it changes
what `builtins.functionArgs` reports (and so what `callPackage` passes), and without `...` it
changes which arguments the function accepts, so there is no automatic fix. Exempt: names
starting with `_`, and fields of a pattern with both `...` and a used `@` name (the fields then
document what the `@` set holds). `--no-lambda-arg` turns this lint off.

    { lib, stdenv, fetchurl }:     # L003 on `fetchurl` if unused
    stdenv.mkDerivation { ... }";

    /// An `@` name of a pattern that nothing uses.
    UnusedPatternAlias = "L004", "unused-pattern-alias", Warning, [Unnecessary],
    "an `@` name of a pattern that nothing uses",
    "`{ a, b } @ args:` binds the whole argument to `args`; if nothing uses it, drop it.

    { a, b } @ args: a + b       # L004
    { a, b }: a + b

Fix (safe): the `@ args` part is removed; `functionArgs` does not see it.";

    /// A binding that hides another binding of the same name.
    Shadowed = "L005", "shadowed", Hint, [],
    "a binding hides another binding of the same name",
    "A `let` binding, `rec` attribute, parameter or pattern field with the same name as a binding
of an enclosing scope makes the outer one unreachable inside. This is often intended, but it
is a classic source of confusion (`{ version }: rec { version = \"2\"; src = f version; }`
uses the inner `version`). `inherit x;` is exempt: it refers to the outer binding on purpose.

    x: let x = 2; in x        # L005: `x` hides the parameter";

    /// A `with` whose attributes nothing looks up.
    UselessWith = "L006", "useless-with", Warning, [Unnecessary],
    "a `with` that no variable of its body can come from",
    "Every variable in the body of this `with` is bound by `let`, a function or a global, so no
lookup ever reaches the `with` set (statically bound names always win over `with`).

    with lib; x: x + 1        # L006

Fix (safe): `with e;` is removed. The set is never evaluated, since nothing looks into it.";

    /// A `with` attribute that a binding hides.
    WithHidden = "L007", "with-hidden", Warning, [],
    "a name that looks like it comes from `with` but comes from a binding",
    "Variables bound by `let`, functions or globals win over `with`: in `with { x = 1; }; x` the
`x` comes from `with`, but in `x: with { x = 1; }; x` it is the parameter. When the set of a
`with` is a literal that has the attribute, the reader almost certainly expected it to win.

    let x = 1; in with { x = 2; }; x     # L007: this is 1";

    /// Syntax that edition 2026 removes.
    LegacySyntax = "L008", "legacy-syntax", Warning, [Deprecated],
    "syntax that is deprecated and removed in edition 2026",
    "Legacy `let { ...; body = ...; }`, `or` used as a variable, and `__curPos` still work in
edition 2024 files but are errors in edition 2026. `lixc migrate --to 2026` rewrites a whole
tree (URL literals are L022).

    let { x = 1; body = x; }     # L008
    let x = 1; in x

Fix (safe, legacy `let` only): `let { ...; body = e; }` becomes `let ...; body = e; in body`.";

    /// `a = a;` where `inherit a;` says the same.
    ManualInherit = "L009", "manual-inherit", Warning, [],
    "`a = a;` can be written `inherit a;`",
    "An attribute or `let` binding whose value is the variable of the same name from the
enclosing scope is what `inherit` is for.

    { a = a; b = 1; }          # L009
    { inherit a; b = 1; }

Fix (safe): the binding becomes `inherit a;`. Not reported where `a` would refer to the binding
itself (in `let` or `rec`), which is infinite recursion, not an inherit.";

    /// `a = x.a;` where `inherit (x) a;` says the same.
    ManualInheritFrom = "L010", "manual-inherit-from", Warning, [],
    "`a = x.a;` can be written `inherit (x) a;`",
    "An attribute whose value selects the attribute of the same name from a variable (or a
path of attributes) is what `inherit (x)` is for.

    { mkIf = lib.mkIf; }       # L010
    { inherit (lib) mkIf; }

Fix (safe): `inherit (x)` evaluates `x` in the same scope the value did, and selects lazily.";

    /// Parentheses that change nothing.
    UselessParens = "L011", "useless-parens", Warning, [Unnecessary],
    "parentheses around an expression that needs none",
    "Parentheses around a variable, literal, string, list, set or selection, or around a whole
binding value, `let` body or file, group nothing.

    x = (f y);                 # L011
    map (f) (xs)               # L011 twice

Fix (safe): the parentheses are removed (with a space where tokens would otherwise join).";

    /// `if c then true else false` and friends.
    BoolIf = "L012", "bool-if", Warning, [],
    "`if c then true else false` is `c`",
    "An `if` that returns boolean literals is the condition itself (or its negation).

    if x == 1 then true else false     # L012: x == 1
    if x == 1 then false else true     # L012: !(x == 1)

Fix: safe when the condition is a comparison, a boolean operator, `!` or `?`, which always give
a boolean; otherwise unsafe (where `c` is not a boolean the `if` fails and `c` does not).";

    /// `x == null` on a pattern field whose default is not null.
    NullCheckWithDefault = "L013", "null-check-with-default", Hint, [],
    "comparing a pattern field with `null` although its default is not null",
    "A pattern field with a default is null only when a caller passes `null` explicitly. A
null check usually means the default was meant to be `null`.

    { src ? ./. }: if src == null then a else b     # L013";

    /// `x: f x` where `f` would do.
    EtaReduction = "L014", "eta-reduction", Hint, [],
    "`x: f x` can be written `f`",
    "A function that only passes its argument on to `f` (which does not mention it) is `f`.

    map (x: toString x) xs     # L014
    map toString xs

Fix (unsafe): `f` is evaluated earlier, and if `f` is not a function (a set with `__functor`,
say) the result differs for `builtins.isFunction` and `functionArgs`.";

    /// `let in e`.
    EmptyLetIn = "L015", "empty-let-in", Warning, [Unnecessary],
    "a `let` without bindings",
    "`let in e` is `e`.

    let in 1       # L015

Fix (safe): `let in` is removed.";

    /// `{ ... }: e`.
    EmptyPattern = "L016", "empty-pattern", Warning, [],
    "a `{ ... }:` pattern that takes nothing out of its argument",
    "`{ ... }: e` accepts any set and binds nothing; `_: e` says that with less.

    { ... }: 42        # L016
    _: 42

Fix (safe): only a call with a non-set argument behaves differently, and that call fails in
the original.";

    /// `rec` where nothing refers to the set's attributes.
    RedundantRec = "L017", "redundant-rec", Warning, [Unnecessary],
    "a `rec` set whose attributes nothing refers to",
    "`rec` makes the set's attributes variables in its values; when no value uses one, the
`rec` changes nothing.

    rec { a = 1; b = 2; }      # L017

Fix (safe): `rec` is removed.";

    /// `builtins.map` where `map` is in scope.
    BuiltinsPrefix = "L018", "builtins-prefix", Hint, [],
    "`builtins.x` where the global `x` is the same",
    "Some builtins are also global names (`map`, `toString`, `import`, `throw`, `baseNameOf`,
...). Where no binding hides that name, `builtins.x` and `x` are the same value.

    builtins.map f xs          # L018
    map f xs

Fix (safe).";

    /// `a = { b = 1; };` where `a.b = 1;` says the same.
    CollapsibleAttrs = "L019", "collapsible-attrs", Hint, [],
    "a set with one attribute, assigned to an attribute: `a = { b = v; };` is `a.b = v;`",
    "A binding whose value is a non-`rec` set of one attribute reads more simply as an attribute
path. Nix merges attribute paths, so the result is the same.

    services = { nginx.enable = true; };       # L019
    services.nginx.enable = true;

Fix (safe).";

    /// `toPath` and `isNull`.
    DeprecatedBuiltin = "L020", "deprecated-builtin", Warning, [Deprecated],
    "a deprecated builtin: `toPath` or `isNull`",
    "`builtins.toPath` is deprecated (it returns a string, not a path; write `/. + s` for a path);
`isNull x` is `x == null`.

    isNull x          # L020
    x == null

Fix (safe, `isNull` only).";

    /// `a.b = ..; a.c = ..;`.
    RepeatedKeys = "L021", "repeated-keys", Hint, [],
    "attribute paths that repeat their first key",
    "Several bindings of one set starting with the same key can be grouped into one nested set.

    a.b = 1;          # L021
    a.c = 2;
    a = { b = 1; c = 2; };

No automatic fix: which form reads better is a matter of taste.";

    /// `https://example.org` without quotes.
    UnquotedUrl = "L022", "unquoted-url", Warning, [Deprecated],
    "a URL literal without quotes",
    "URL literals (`https://example.org`) are deprecated: they are strings anyway, they break on
characters such as `~`, and edition 2026 removes them.

    src = https://example.org/a.tar.gz;       # L022
    src = \"https://example.org/a.tar.gz\";

Fix (safe).";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_ordered() {
        let codes: Vec<&str> = Lint::ALL.iter().map(|l| l.code()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
        for lint in Lint::ALL {
            assert_eq!(Lint::from_code(lint.code()), Some(*lint));
            assert_eq!(Lint::from_code(lint.name()), Some(*lint));
            assert!(lint.explanation().contains(lint.code()) || lint.explanation().contains('\n'));
        }
    }
}
