//! The names in scope in every file: builtins that live in the global scope under their own
//! name, the others under `__name`, and the constants.

use lix_editions::Edition;

/// Global names of every edition, sorted.
const GLOBALS: &[&str] = &[
    "__add", "__addDrvOutputDependencies", "__addErrorContext", "__all", "__any", "__appendContext",
    "__attrNames", "__attrValues", "__bitAnd", "__bitOr", "__bitXor", "__catAttrs", "__ceil",
    "__compareVersions", "__concatLists", "__concatMap", "__concatStringsSep", "__convertHash",
    "__currentSystem", "__currentTime", "__deepSeq", "__div", "__elem", "__elemAt", "__fetchurl",
    "__filter", "__filterSource", "__findFile", "__flakeRefToString", "__floor", "__foldl",
    "__fromJSON", "__functionArgs", "__genList", "__genericClosure", "__getAttr", "__getContext",
    "__getEnv", "__getFlake", "__groupBy", "__hasAttr", "__hasContext", "__hashFile",
    "__hashString", "__head", "__intersectAttrs", "__isAttrs", "__isBool", "__isFloat",
    "__isFunction", "__isInt", "__isList", "__isPath", "__isString", "__langVersion", "__length",
    "__lessThan", "__listToAttrs", "__mapAttrs", "__match", "__mul", "__nixPath", "__nixVersion",
    "__parseDrvName", "__parseFlakeRef", "__partition", "__path", "__pathExists", "__readDir",
    "__readFile", "__readFileType", "__replaceStrings", "__seq", "__sort", "__split",
    "__splitVersion", "__storeDir", "__storePath", "__stringLength", "__sub", "__substring",
    "__tail", "__toFile", "__toJSON", "__toPath", "__toXML", "__trace", "__traceVerbose",
    "__tryEval", "__typeOf", "__unsafeDiscardOutputDependency", "__unsafeDiscardStringContext",
    "__unsafeGetAttrPos", "__warn", "__zipAttrsWith", "abort", "baseNameOf", "break", "builtins",
    "derivation", "derivationStrict", "dirOf", "false", "fetchGit", "fetchMercurial",
    "fetchTarball", "fetchTree", "fromTOML", "import", "isNull", "map", "null", "placeholder",
    "removeAttrs", "scopedImport", "throw", "toString", "true",
];

/// Global names that only some editions have.
const EDITION_GLOBALS: &[(&str, Edition)] = &[("dbg", Edition::E2026)];

/// Whether `name` is in scope everywhere in a file of `edition`.
pub fn is_global(name: &str, edition: Edition) -> bool {
    // `__curPos` is a parser pseudo-variable; whether the edition allows it is the edition
    // check's business.
    name == "__curPos"
        || GLOBALS.binary_search(&name).is_ok()
        || EDITION_GLOBALS.iter().any(|(n, since)| *n == name && edition >= *since)
}

/// Every global name of `edition`.
pub fn names(edition: Edition) -> impl Iterator<Item = &'static str> {
    GLOBALS.iter().copied().chain(EDITION_GLOBALS.iter().filter(move |(_, since)| edition >= *since).map(|(n, _)| *n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_for_binary_search() {
        assert!(GLOBALS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn editions() {
        assert!(is_global("map", Edition::E2024));
        assert!(!is_global("dbg", Edition::E2024));
        assert!(is_global("dbg", Edition::E2026));
        assert!(!is_global("add", Edition::E2024));
    }
}
