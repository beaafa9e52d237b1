//! Name resolution over the syntax tree: which variable references no binding defines.
//!
//! Scopes follow Nix: `let` and `rec` sets bind their attribute names (first components of
//! attribute paths, and inherited names) for their values and body; lambdas bind their parameter
//! or pattern fields (defaults see the fields too); `with` makes every name possibly defined;
//! globals are the outermost scope. A plain `inherit a;` refers to `a` in the scope *around* the
//! set or `let`. As in the reference implementation, a `rec` set merged into an attribute that an
//! earlier binding already made a set (`a.b = 1; a = rec { ... };`) loses its recursion.
//!
//! The walk is iterative, so deep trees cannot overflow the stack.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use lix_editions::Edition;
use lix_syntax::ast::{self, AstNode, Attr, Binding, Expr, Param};
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

use crate::globals::is_global;

/// A variable reference that nothing defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// The variable's name.
    pub name: String,
    /// Where the reference is.
    pub range: Range<u32>,
}

impl Unresolved {
    /// The message the reference implementation gives for it.
    pub fn message(&self) -> String {
        format!("undefined variable '{}'", self.name)
    }
}

struct Scope {
    parent: Option<usize>,
    names: HashSet<String>,
    /// Inside `with`: any name may be defined at evaluation.
    with: bool,
}

struct Resolver {
    scopes: Vec<Scope>,
    edition: Edition,
    unresolved: Vec<Unresolved>,
    /// `rec` sets that lose their recursion by being merged into an earlier set.
    demoted: HashSet<SyntaxNode>,
    /// Bindings that a later attribute path adds to an earlier `rec` set (`a = rec { ... };
    /// a.c = v;`): the names they add to its scope, and their values, which see that scope.
    grafts: HashMap<SyntaxNode, (HashSet<String>, Vec<SyntaxNode>)>,
    /// Values that are resolved in a grafted-onto `rec` set's scope instead of their own.
    grafted_values: HashSet<SyntaxNode>,
    stack: Vec<(SyntaxNode, usize)>,
}

/// Every variable reference under `root` that no binding, `with` or global of `edition` defines,
/// in source order.
pub fn undefined_variables(root: &SyntaxNode, edition: Edition) -> Vec<Unresolved> {
    let mut resolver = Resolver {
        scopes: vec![Scope { parent: None, names: HashSet::new(), with: false }],
        edition,
        unresolved: Vec::new(),
        demoted: HashSet::new(),
        grafts: HashMap::new(),
        grafted_values: HashSet::new(),
        stack: vec![(root.clone(), 0)],
    };
    while let Some((node, scope)) = resolver.stack.pop() {
        resolver.visit(node, scope);
    }
    let mut unresolved = resolver.unresolved;
    unresolved.sort_by_key(|u| (u.range.start, u.range.end));
    unresolved
}

fn range_of(r: TextRange) -> Range<u32> {
    r.start().into()..r.end().into()
}

impl Resolver {
    fn new_scope(&mut self, parent: usize, names: HashSet<String>, with: bool) -> usize {
        self.scopes.push(Scope { parent: Some(parent), names, with });
        self.scopes.len() - 1
    }

    fn is_defined(&self, name: &str, mut scope: usize) -> bool {
        loop {
            let s = &self.scopes[scope];
            if s.with || s.names.contains(name) {
                return true;
            }
            match s.parent {
                Some(parent) => scope = parent,
                None => return is_global(name, self.edition),
            }
        }
    }

    fn reference(&mut self, name: String, range: Range<u32>, scope: usize) {
        if !self.is_defined(&name, scope) {
            self.unresolved.push(Unresolved { name, range });
        }
    }

    fn push_children(&mut self, node: &SyntaxNode, scope: usize) {
        self.stack.extend(node.children().map(|c| (c, scope)));
    }

    fn visit(&mut self, node: SyntaxNode, scope: usize) {
        match node.kind() {
            SyntaxKind::VARIABLE => {
                if let Some(token) = ast::Variable::cast(node).and_then(|v| v.token()) {
                    self.reference(token.text().to_string(), range_of(token.text_range()), scope);
                }
            }
            SyntaxKind::LET_IN | SyntaxKind::LEGACY_LET => {
                let inner = self.new_scope(scope, binding_names(&node), false);
                self.bindings(&node, scope, inner);
            }
            SyntaxKind::ATTR_SET => {
                let rec = ast::AttrSet::cast(node.clone()).is_some_and(|s| s.is_rec()) && !self.demoted.contains(&node);
                let inner = if rec {
                    let mut names = binding_names(&node);
                    let (extra, values) = self.grafts.remove(&node).unwrap_or_default();
                    names.extend(extra);
                    let inner = self.new_scope(scope, names, false);
                    self.stack.extend(values.into_iter().map(|v| (v, inner)));
                    inner
                } else {
                    scope
                };
                self.bindings(&node, scope, inner);
            }
            SyntaxKind::LAMBDA => {
                let names = ast::Lambda::cast(node.clone()).and_then(|l| l.param()).map(param_names).unwrap_or_default();
                let inner = self.new_scope(scope, names, false);
                self.push_children(&node, inner);
            }
            SyntaxKind::WITH => {
                let with = ast::With::cast(node.clone());
                if let Some(namespace) = with.as_ref().and_then(|w| w.namespace()) {
                    self.stack.push((namespace.syntax().clone(), scope));
                }
                if let Some(body) = with.as_ref().and_then(|w| w.body()) {
                    let inner = self.new_scope(scope, HashSet::new(), true);
                    self.stack.push((body.syntax().clone(), inner));
                }
            }
            SyntaxKind::CONTAINER_INHERIT => {
                let Some(inherit) = ast::ContainerInherit::cast(node) else { return };
                match inherit.from() {
                    Some(from) => self.stack.push((from.syntax().clone(), scope)),
                    None => self.inherited(inherit.attrs(), scope),
                }
            }
            _ => self.push_children(&node, scope),
        }
    }

    /// The children of a set or `let`: bindings see `inner`, plain inherits look in `outer`.
    fn bindings(&mut self, node: &SyntaxNode, outer: usize, inner: usize) {
        self.find_demoted(node);
        for child in node.children() {
            match ast::Inherit::cast(child.clone()) {
                Some(inherit) => match inherit.from() {
                    Some(from) => self.stack.push((from.syntax().clone(), inner)),
                    None => self.inherited(inherit.attrs(), outer),
                },
                None => match ast::AttrpathValue::cast(child.clone()) {
                    Some(binding) if binding.value().is_some_and(|v| self.grafted_values.contains(v.syntax())) => {
                        if let Some(path) = binding.attrpath() {
                            self.stack.push((path.syntax().clone(), inner));
                        }
                    }
                    _ => self.stack.push((child, inner)),
                },
            }
        }
    }

    fn inherited(&mut self, attrs: impl Iterator<Item = Attr>, scope: usize) {
        for attr in attrs {
            match attr.static_name() {
                Some(name) => self.reference(name, range_of(attr.syntax().text_range()), scope),
                // A dynamic inherit is a syntax error, reported elsewhere; its expression may
                // still refer to variables.
                None => self.push_children(&attr.syntax().clone(), scope),
            }
        }
    }

    /// Finds the `rec` sets among `node`'s bindings that merge into an earlier set (and so lose
    /// their recursion), and the later attribute paths that extend an earlier `rec` set (and so
    /// join its scope).
    fn find_demoted(&mut self, node: &SyntaxNode) {
        let mut set_paths: HashSet<String> = HashSet::new();
        let mut rec_sets: HashMap<String, SyntaxNode> = HashMap::new();
        for binding in Binding::of(node) {
            let Binding::AttrpathValue(binding) = binding else { continue };
            let Some(names) = binding.attrpath().and_then(|p| p.attrs().map(|a| a.static_name()).collect::<Option<Vec<_>>>()) else {
                continue;
            };
            let mut path = String::new();
            let mut graft = None;
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    if let Some(rec) = rec_sets.get(&path) {
                        graft = Some((rec.clone(), name.clone()));
                    }
                    path.push('.');
                }
                path.push_str(name);
                if i + 1 < names.len() {
                    set_paths.insert(path.clone());
                }
            }
            let value = binding.value();
            if let (Some((rec, name)), Some(value)) = (graft, &value) {
                let entry = self.grafts.entry(rec).or_default();
                entry.0.insert(name);
                entry.1.push(value.syntax().clone());
                self.grafted_values.insert(value.syntax().clone());
            }
            if let Some(Expr::AttrSet(value)) = value {
                if !set_paths.insert(path.clone()) && value.is_rec() {
                    self.demoted.insert(value.syntax().clone());
                } else if value.is_rec() {
                    rec_sets.insert(path, value.syntax().clone());
                }
            }
        }
    }
}

/// The names a set or `let` binds: first components of attribute paths, and inherited names.
fn binding_names(node: &SyntaxNode) -> HashSet<String> {
    let mut names = HashSet::new();
    for binding in Binding::of(node) {
        match binding {
            Binding::AttrpathValue(b) => {
                if let Some(name) = b.attrpath().and_then(|p| p.attrs().next()).and_then(|a| a.static_name()) {
                    names.insert(name);
                }
            }
            Binding::Inherit(i) => names.extend(i.attrs().filter_map(|a| a.static_name())),
        }
    }
    names
}

/// The names a lambda's parameter binds.
fn param_names(param: Param) -> HashSet<String> {
    match param {
        Param::IdentParam(p) => p.name().and_then(|n| n.text()).into_iter().collect(),
        Param::Pattern(p) => {
            let bind = p.bind().and_then(|b| b.name()).and_then(|n| n.text());
            p.entries().filter_map(|e| e.name().and_then(|n| n.text())).chain(bind).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undefined(src: &str) -> Vec<String> {
        undefined_in(src, Edition::E2024)
    }

    fn undefined_in(src: &str, edition: Edition) -> Vec<String> {
        let parse = lix_syntax::parse(src);
        assert!(parse.is_ok(), "{src}: {:?}", parse.errors());
        undefined_variables(&parse.syntax(), edition).into_iter().map(|u| u.name).collect()
    }

    #[test]
    fn scopes() {
        assert_eq!(undefined("x: y"), ["y"]);
        assert!(undefined("let a = b; b = 1; in a").is_empty());
        assert_eq!(undefined("{ a = b; b = 1; }"), ["b"]);
        assert!(undefined("rec { a = b; b = 1; }").is_empty());
        assert!(undefined("{ x, y ? x }@args: args").is_empty());
        assert_eq!(undefined("let { a = c; body = a; }"), ["c"]);
        assert!(undefined("with {}; x").is_empty());
        assert_eq!(undefined("with x; y"), ["x"]);
        assert!(undefined("map toString [ true null builtins.x __add ]").is_empty());
    }

    #[test]
    fn inherit_looks_outside() {
        assert_eq!(undefined("let inherit a; in 1"), ["a"]);
        assert!(undefined("let a = 1; in { inherit a; }").is_empty());
        assert!(undefined("let inherit (x) a; x = {}; in a").is_empty());
        assert_eq!(undefined("rec { inherit b; c = 1; }"), ["b"]);
    }

    #[test]
    fn attribute_names_are_not_references() {
        assert!(undefined("{ a.b = 1; }.a.b or 2").is_empty());
        assert_eq!(undefined("{ ${k} = 1; }"), ["k"]);
        assert_eq!(undefined("x: x ? ${y}"), ["y"]);
    }

    #[test]
    fn merged_rec_set_loses_recursion() {
        assert_eq!(undefined("{ a.b = 1; a = rec { c = d; d = 3; }; }"), ["d"]);
        assert!(undefined("{ a = rec { c = d; d = 3; }; a.b = 1; }").is_empty());
        // A later path extends an earlier `rec` set: its value sees the set, the set sees it.
        assert!(undefined("{ a = rec { b = c + 1; d = 2; }; a.c = d + 3; }").is_empty());
        assert_eq!(undefined("{ a = { b = c; }; a.c = d; }"), ["c", "d"]);
    }

    #[test]
    fn editions() {
        assert_eq!(undefined_in("dbg 1", Edition::E2024), ["dbg"]);
        assert!(undefined_in("dbg 1", Edition::E2026).is_empty());
        assert_eq!(undefined_in("inherit [ a ]", Edition::E2026), ["a"]);
    }
}
