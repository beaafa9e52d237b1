//! The Nix files built into the evaluator, found as `<nix/NAME>` after the search path (under
//! the pseudo directory [`PREFIX`]): `fetchurl.nix`, the `builtin:fetchurl` derivation that
//! nixpkgs' bootstrap fetches its tools with.

/// The pseudo directory built-in files live in (it never exists on disk).
pub const PREFIX: &str = "/__corepkgs__/";

/// The text of built-in file `name`, if there is one.
pub fn file(name: &str) -> Option<&'static str> {
    match name {
        "fetchurl.nix" => Some(include_str!("corepkgs/fetchurl.nix")),
        _ => None,
    }
}
