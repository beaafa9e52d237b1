//! Checks that the grammar cannot express and the reference parser makes at parse time:
//! duplicate attributes (with nested attribute paths merged as Nix merges them),
//! duplicate formal arguments, dynamic names where only static ones are allowed, misplaced
//! container inherits, and the nesting bound.
//!
//! Every walk here is iterative, so a deep tree cannot overflow the stack.

use std::collections::{HashMap, HashSet};

use rowan::{GreenNode, GreenNodeData, NodeOrToken};

use std::ops::Range;


use crate::ast::{self, AstNode, Attr, Binding, ContainerKind, Expr};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::kind::SyntaxKind::{self, *};
use crate::kind::SyntaxNode;

/// Appends to `errors` every structural error of the nodes in `checks`: the nodes for which
/// [`needs_check`] holds, with their offsets, as the parser built them. Each gets a red tree of its
/// own, whose ranges are shifted by its offset; the rest of the tree is not walked again. Sets
/// and patterns whose names plainly cannot collide were left out by the parser already.
pub fn validate(mut checks: Vec<(u32, GreenNode)>, errors: &mut Vec<SyntaxError>) {
    // Outer sets first, so a nested set merged into its parent is checked only there. The
    // parser builds inner nodes first; among nodes at one offset the later-built is the outer.
    checks.reverse();
    checks.sort_by_key(|(offset, _)| *offset);
    let mut merged = HashSet::new();
    for (base, green) in checks {
        let node = SyntaxNode::new_root(green);
        let mut ctx = Ctx { base, errors: &mut *errors };
        match node.kind() {
            PATTERN => check_pattern(&node, &mut ctx),
            ATTR_SET | LET_IN | LEGACY_LET if !merged.contains(&base) => check_bindings(&node, &mut merged, &mut ctx),
            INHERIT => check_inherit_binding(&node, &mut ctx),
            LIST => check_list(&node, &mut ctx),
            CONTAINER_INHERIT => check_container_set(&node, &mut ctx),
            _ => {}
        }
    }
}

/// The name token of a `NAME` node, by address, if it is one of the parser's interned tokens
/// (two of them are equal exactly when they are the same token).
fn interned_name(name: &GreenNodeData) -> Option<usize> {
    if name.kind() != NAME.into() {
        return None;
    }
    let token = name.children().find_map(|c| c.into_token())?;
    (token.text().len() <= crate::builder::INTERN_MAX_LEN).then_some(token as *const rowan::GreenTokenData as usize)
}

/// Whether `names` (token addresses) holds no name twice; sorts it.
fn all_distinct(names: &mut [usize]) -> bool {
    if names.len() <= 16 {
        return names.iter().enumerate().all(|(i, a)| !names[..i].contains(a));
    }
    names.sort_unstable();
    names.windows(2).all(|w| w[0] != w[1])
}

/// Whether the bindings of a set or `let` plainly cannot collide: every binding's first name (of
/// an attribute path, or of an inherit) is a plain identifier, and no first name repeats. Then
/// no attribute is defined twice and no attribute paths merge, so the full check (red tree,
/// merging) can be skipped; sets nested in the values are checked on their own. Works on the
/// green tree alone, as the parser built it: names are compared as interned tokens, by address
/// (`seen` is a buffer to use).
fn plainly_distinct(node: &GreenNodeData, seen: &mut Vec<usize>) -> bool {
    seen.clear();
    for child in node.children() {
        let binding = match child {
            NodeOrToken::Node(binding) => binding,
            // The body of a `let ... in body` is not a binding.
            NodeOrToken::Token(t) if t.kind() == IN_KW.into() => break,
            NodeOrToken::Token(_) => continue,
        };
        if binding.kind() == ATTRPATH_VALUE.into() {
            let Some(path) = binding.children().find_map(|c| c.into_node()) else { return false };
            let Some(first) = path.children().find_map(|c| c.into_node()).and_then(interned_name) else { return false };
            seen.push(first);
        } else if binding.kind() == INHERIT.into() {
            for name in binding.children().filter_map(|c| c.into_node()) {
                if name.kind() == INHERIT_FROM.into() {
                    continue;
                }
                let Some(name) = interned_name(name) else { return false };
                seen.push(name);
            }
        } else {
            return false;
        }
    }
    all_distinct(seen)
}

/// Whether the formals of a pattern (`{ a, b ? 1, ... }@args`) plainly cannot collide: every
/// entry and the `@` binding are plain names, and no name repeats. Works on the green tree alone,
/// as the parser built it (see [`plainly_distinct`]).
fn plainly_distinct_formals(node: &GreenNodeData, seen: &mut Vec<usize>) -> bool {
    seen.clear();
    for child in node.children() {
        let NodeOrToken::Node(entry) = child else { continue };
        if entry.kind() != PAT_ENTRY.into() && entry.kind() != PAT_BIND.into() {
            return false;
        }
        let Some(name) = entry.children().find_map(|c| c.into_node()).and_then(interned_name) else { return false };
        seen.push(name);
    }
    all_distinct(seen)
}

/// Whether a node of `kind`, just built by the parser, needs a structural check (`seen` is a
/// buffer to use). Sets and patterns are looked at here, while they are in the cache: most
/// plainly have no duplicate names and need no check.
pub(crate) fn needs_check(kind: SyntaxKind, node: &GreenNodeData, seen: &mut Vec<usize>) -> bool {
    // Most nodes are of none of these kinds: a compare on the kind avoids reading the node.
    if !matches!(kind, PATTERN | ATTR_SET | LET_IN | LEGACY_LET | INHERIT | LIST | CONTAINER_INHERIT) {
        return false;
    }
    let kind = Some(kind);
    let has = |want: SyntaxKind| {
        node.children().any(|c| match c {
            NodeOrToken::Node(n) => n.kind() == want.into(),
            NodeOrToken::Token(t) => t.kind() == want.into(),
        })
    };
    match kind {
        Some(ATTR_SET | LET_IN | LEGACY_LET) => !plainly_distinct(node, seen),
        Some(PATTERN) => !plainly_distinct_formals(node, seen),
        Some(INHERIT) => has(L_BRACK),
        Some(LIST) => has(CONTAINER_INHERIT),
        Some(CONTAINER_INHERIT) => has(L_BRACE),
        _ => false,
    }
}

/// Where errors go, and the offset of the detached tree being checked.
struct Ctx<'e> {
    base: u32,
    errors: &'e mut Vec<SyntaxError>,
}

impl Ctx<'_> {
    fn range(&self, r: rowan::TextRange) -> Range<u32> {
        let r = range_of(r);
        r.start + self.base..r.end + self.base
    }

    fn push(&mut self, error: SyntaxError) {
        self.errors.push(error);
    }
}

fn range_of(r: rowan::TextRange) -> Range<u32> {
    r.start().into()..r.end().into()
}

fn check_pattern(node: &SyntaxNode, ctx: &mut Ctx<'_>) {
    let Some(pattern) = ast::Pattern::cast(node.clone()) else { return };
    let mut seen: HashMap<String, Range<u32>> = HashMap::new();
    let bind = pattern.bind().and_then(|b| b.name());
    let mut names: Vec<ast::Name> = pattern.entries().filter_map(|e| e.name()).chain(bind).collect();
    // `args@{ args }` and `{ args }@args` both report the later of the two.
    names.sort_by_key(|n| n.syntax().text_range().start());
    for name in names {
        let Some(text) = name.text() else { continue };
        let range = ctx.range(name.syntax().text_range());
        if let Some(first) = seen.get(&text) {
            ctx.push(
                SyntaxError::new(
                    SyntaxErrorKind::DuplicateFormal,
                    range,
                    format!("duplicate formal function argument '{text}'"),
                )
                .with_note(first.clone(), "first bound here"),
            );
        } else {
            seen.insert(text, range);
        }
    }
}

fn check_inherit_binding(node: &SyntaxNode, ctx: &mut Ctx<'_>) {
    let Some(inherit) = ast::Inherit::cast(node.clone()) else { return };
    if inherit.container() == Some(ContainerKind::List) {
        ctx.push(SyntaxError::new(
            SyntaxErrorKind::MisplacedContainerInherit,
            ctx.range(node.text_range()),
            "a list inherit 'inherit (e) [ ... ]' cannot stand as a binding; \
             use the set form 'inherit (e) { ... };' or the classic 'inherit (e) a b;'"
                .into(),
        ));
    }
}

fn check_list(node: &SyntaxNode, ctx: &mut Ctx<'_>) {
    for item in node.children().filter_map(ast::ContainerInherit::cast) {
        if item.kind() == Some(ContainerKind::Set) {
            ctx.push(SyntaxError::new(
                SyntaxErrorKind::MisplacedContainerInherit,
                ctx.range(item.syntax().text_range()),
                "a set inherit 'inherit (e) { ... }' cannot be spliced into a list; \
                 parenthesise it to make it one element, or use the list form '[ ... ]'"
                    .into(),
            ));
        }
    }
}

/// The set form `inherit (e) { a b }` as an expression: each name once, as in a set.
fn check_container_set(node: &SyntaxNode, ctx: &mut Ctx<'_>) {
    let Some(inherit) = ast::ContainerInherit::cast(node.clone()) else { return };
    let mut set = HashMap::new();
    for attr in inherit.attrs() {
        if let Some(name) = attr.static_name() {
            let range = ctx.range(attr.syntax().text_range());
            define(&mut set, "", name, Entry::Value, range, ctx);
        }
    }
}

/// What an attribute name is bound to, for duplicate detection.
enum Entry {
    /// A set whose attributes may be extended by later paths: made by `a.b = ...` or a
    /// literal set value. Index into the list of sets.
    Set(usize),
    /// Any other value, or an inherited name.
    Value,
}

struct Defined {
    entry: Entry,
    range: Range<u32>,
}

/// One set's bindings to add to the scope `set`, with the attribute path leading to it.
struct Work {
    set: usize,
    node: SyntaxNode,
    prefix: String,
}

/// Checks the bindings of a set or `let` (and of the literal sets nested in it through
/// attribute paths, which Nix merges into one) for duplicates and misplaced dynamic names.
fn check_bindings(
    node: &SyntaxNode,
    merged: &mut HashSet<u32>,
    ctx: &mut Ctx<'_>,
) {
    let is_let = matches!(node.kind(), LET_IN | LEGACY_LET);
    // The `let` keyword, where the reference reports a dynamic name among its bindings.
    let let_keyword = if is_let { node.first_token().map(|t| ctx.range(t.text_range())) } else { None };
    let mut sets: Vec<HashMap<String, Defined>> = vec![HashMap::new()];
    let mut work = vec![Work { set: 0, node: node.clone(), prefix: String::new() }];
    while let Some(Work { set, node, prefix }) = work.pop() {
        let in_let = if set == 0 { let_keyword.clone() } else { None };
        for binding in Binding::of(&node) {
            match binding {
                Binding::Inherit(inherit) => {
                    for attr in inherit.attrs() {
                        let range = ctx.range(attr.syntax().text_range());
                        let Some(name) = attr.static_name() else {
                            ctx.push(SyntaxError::new(
                                SyntaxErrorKind::DynamicAttrNotAllowed,
                                range,
                                "dynamic attributes not allowed in inherit".into(),
                            ));
                            continue;
                        };
                        define(&mut sets[set], &prefix, name, Entry::Value, range, ctx);
                    }
                }
                Binding::AttrpathValue(binding) => {
                    let Some(path) = binding.attrpath() else { continue };
                    let attrs: Vec<Attr> = path.attrs().collect();
                    let value = binding.value();
                    add_path(&mut sets, &mut work, merged, set, &prefix, &attrs, value, in_let.clone(), ctx);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn add_path(
    sets: &mut Vec<HashMap<String, Defined>>,
    work: &mut Vec<Work>,
    merged: &mut HashSet<u32>,
    mut set: usize,
    prefix: &str,
    attrs: &[Attr],
    value: Option<Expr>,
    in_let: Option<Range<u32>>,
    ctx: &mut Ctx<'_>,
) {
    let mut path = prefix.to_string();
    for (i, attr) in attrs.iter().enumerate() {
        let range = ctx.range(attr.syntax().text_range());
        let Some(name) = attr.static_name() else {
            if let (Some(keyword), 0) = (&in_let, i) {
                // At the `let`, as the reference reports it; the name itself as a note.
                let mut error = SyntaxError::new(
                    SyntaxErrorKind::DynamicAttrNotAllowed,
                    keyword.clone(),
                    "dynamic attributes not allowed in let".into(),
                );
                error.notes.push((range, "this attribute name is computed".into()));
                ctx.push(error);
            }
            // Names under a dynamic one are only known at evaluation.
            return;
        };
        let full = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
        let last = i + 1 == attrs.len();
        let literal_set = match &value {
            Some(Expr::AttrSet(s)) if last => Some(s.syntax().clone()),
            _ => None,
        };
        match sets[set].get(&name) {
            Some(Defined { entry: Entry::Set(child), .. }) if !last || literal_set.is_some() => {
                let child = *child;
                if let Some(node) = literal_set {
                    merged.insert(ctx.base + u32::from(node.text_range().start()));
                    work.push(Work { set: child, node, prefix: full.clone() });
                }
                set = child;
            }
            Some(first) => {
                ctx.push(
                    SyntaxError::new(
                        SyntaxErrorKind::DuplicateAttr,
                        range,
                        format!("attribute '{full}' already defined"),
                    )
                    .with_note(first.range.clone(), "first defined here"),
                );
                return;
            }
            None => {
                if !last || literal_set.is_some() {
                    let child = sets.len();
                    sets.push(HashMap::new());
                    sets[set].insert(name, Defined { entry: Entry::Set(child), range });
                    if let Some(node) = literal_set {
                        merged.insert(ctx.base + u32::from(node.text_range().start()));
                        work.push(Work { set: child, node, prefix: full.clone() });
                    }
                    set = child;
                } else {
                    sets[set].insert(name, Defined { entry: Entry::Value, range });
                }
            }
        }
        path = full;
    }
}

fn define(
    set: &mut HashMap<String, Defined>,
    prefix: &str,
    name: String,
    entry: Entry,
    range: Range<u32>,
    ctx: &mut Ctx<'_>,
) {
    if let Some(first) = set.get(&name) {
        let full = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        ctx.push(
            SyntaxError::new(SyntaxErrorKind::DuplicateAttr, range, format!("attribute '{full}' already defined"))
                .with_note(first.range.clone(), "first defined here"),
        );
    } else {
        set.insert(name, Defined { entry, range });
    }
}

#[cfg(test)]
mod tests {
    use crate::SyntaxErrorKind;

    fn duplicate_attrs(src: &str) -> usize {
        crate::parse(src).errors().iter().filter(|e| e.kind == SyntaxErrorKind::DuplicateAttr).count()
    }

    /// The green-level shortcut for plainly distinct bindings stops at a `let`'s body, and
    /// leaves anything else to the full check.
    #[test]
    fn shortcut_for_distinct_bindings() {
        assert_eq!(duplicate_attrs("let a = 1; b = 2; in { c = a; d = b; }"), 0);
        assert_eq!(duplicate_attrs("let a = 1; b = 2; in { a = 1; a = 2; }"), 1);
        assert_eq!(duplicate_attrs("let a = 1; a = 2; in { x = a; }"), 1);
        assert_eq!(duplicate_attrs("let a.b = 1; a.c = 2; in a"), 0);
        assert_eq!(duplicate_attrs("let a.b = 1; a.b = 2; in a"), 1);
        assert_eq!(duplicate_attrs("{ a, b ? 1, ... }@args: { inherit a; inherit (args) a; }"), 1);
        assert_eq!(
            crate::parse("{ a, b, a }: a").errors().iter().filter(|e| e.kind == SyntaxErrorKind::DuplicateFormal).count(),
            1
        );
    }
}
