//! Checks that the grammar cannot express and the reference parser makes at parse time:
//! integer range, duplicate attributes (with nested attribute paths merged as Nix merges them),
//! duplicate formal arguments, dynamic names where only static ones are allowed, misplaced
//! container inherits, and the nesting bound.
//!
//! Every walk here is iterative, so a deep tree cannot overflow the stack.

use std::collections::{HashMap, HashSet};
use std::ops::Range;


use crate::ast::{self, AstNode, Attr, Binding, ContainerKind, Expr};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::kind::SyntaxKind::*;
use crate::kind::SyntaxNode;

/// Reports integer literals out of range, from the lexer's tokens (cheaper than a tree walk).
pub fn integers(src: &str, tokens: &[crate::lexer::Token], errors: &mut Vec<SyntaxError>) {
    for token in tokens.iter().filter(|t| t.kind == INTEGER) {
        let text = token.text(src);
        if text.parse::<i64>().is_err() {
            errors.push(SyntaxError::new(
                SyntaxErrorKind::IntegerOverflow,
                token.start..token.end,
                format!("integer literal '{text}' is too large (the largest integer is {})", i64::MAX),
            ));
        }
    }
}

/// Appends to `errors` every structural error of the tree under `root`.
///
/// The tree must be at most [`crate::MAX_DEPTH`] deep (the parser flattens deeper ones).
pub fn validate(root: &SyntaxNode, errors: &mut Vec<SyntaxError>) {
    let mut merged_sets = HashSet::new();
    for node in root.descendants() {
        match node.kind() {
            PATTERN => check_pattern(&node, errors),
            ATTR_SET | LET_IN | LEGACY_LET if !merged_sets.contains(&node) => {
                check_bindings(&node, &mut merged_sets, errors)
            }
            INHERIT => check_inherit_binding(&node, errors),
            LIST => check_list(&node, errors),
            _ => {}
        }
    }
}

fn range_of(r: rowan::TextRange) -> Range<u32> {
    r.start().into()..r.end().into()
}

fn check_pattern(node: &SyntaxNode, errors: &mut Vec<SyntaxError>) {
    let Some(pattern) = ast::Pattern::cast(node.clone()) else { return };
    let mut seen: HashMap<String, Range<u32>> = HashMap::new();
    let bind = pattern.bind().and_then(|b| b.name());
    let mut names: Vec<ast::Name> = pattern.entries().filter_map(|e| e.name()).chain(bind).collect();
    // `args@{ args }` and `{ args }@args` both report the later of the two.
    names.sort_by_key(|n| n.syntax().text_range().start());
    for name in names {
        let Some(text) = name.text() else { continue };
        let range = range_of(name.syntax().text_range());
        if let Some(first) = seen.get(&text) {
            errors.push(
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

fn check_inherit_binding(node: &SyntaxNode, errors: &mut Vec<SyntaxError>) {
    let Some(inherit) = ast::Inherit::cast(node.clone()) else { return };
    if inherit.container() == Some(ContainerKind::List) {
        errors.push(SyntaxError::new(
            SyntaxErrorKind::MisplacedContainerInherit,
            range_of(node.text_range()),
            "a list inherit 'inherit (e) [ ... ]' cannot stand as a binding; \
             use the set form 'inherit (e) { ... };' or the classic 'inherit (e) a b;'"
                .into(),
        ));
    }
}

fn check_list(node: &SyntaxNode, errors: &mut Vec<SyntaxError>) {
    for item in node.children().filter_map(ast::ContainerInherit::cast) {
        if item.kind() == Some(ContainerKind::Set) {
            errors.push(SyntaxError::new(
                SyntaxErrorKind::MisplacedContainerInherit,
                range_of(item.syntax().text_range()),
                "a set inherit 'inherit (e) { ... }' cannot be spliced into a list; \
                 parenthesise it to make it one element, or use the list form '[ ... ]'"
                    .into(),
            ));
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
    merged: &mut HashSet<SyntaxNode>,
    errors: &mut Vec<SyntaxError>,
) {
    let is_let = matches!(node.kind(), LET_IN | LEGACY_LET);
    let mut sets: Vec<HashMap<String, Defined>> = vec![HashMap::new()];
    let mut work = vec![Work { set: 0, node: node.clone(), prefix: String::new() }];
    while let Some(Work { set, node, prefix }) = work.pop() {
        let in_let = is_let && set == 0;
        for binding in Binding::of(&node) {
            match binding {
                Binding::Inherit(inherit) => {
                    for attr in inherit.attrs() {
                        let range = range_of(attr.syntax().text_range());
                        let Some(name) = attr.static_name() else {
                            errors.push(SyntaxError::new(
                                SyntaxErrorKind::DynamicAttrNotAllowed,
                                range,
                                "dynamic attributes not allowed in inherit".into(),
                            ));
                            continue;
                        };
                        define(&mut sets[set], &prefix, name, Entry::Value, range, errors);
                    }
                }
                Binding::AttrpathValue(binding) => {
                    let Some(path) = binding.attrpath() else { continue };
                    let attrs: Vec<Attr> = path.attrs().collect();
                    let value = binding.value();
                    add_path(&mut sets, &mut work, merged, set, &prefix, &attrs, value, in_let, errors);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn add_path(
    sets: &mut Vec<HashMap<String, Defined>>,
    work: &mut Vec<Work>,
    merged: &mut HashSet<SyntaxNode>,
    mut set: usize,
    prefix: &str,
    attrs: &[Attr],
    value: Option<Expr>,
    in_let: bool,
    errors: &mut Vec<SyntaxError>,
) {
    let mut path = prefix.to_string();
    for (i, attr) in attrs.iter().enumerate() {
        let range = range_of(attr.syntax().text_range());
        let Some(name) = attr.static_name() else {
            if in_let && i == 0 {
                errors.push(SyntaxError::new(
                    SyntaxErrorKind::DynamicAttrNotAllowed,
                    range,
                    "dynamic attributes not allowed in let".into(),
                ));
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
                    merged.insert(node.clone());
                    work.push(Work { set: child, node, prefix: full.clone() });
                }
                set = child;
            }
            Some(first) => {
                errors.push(
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
                        merged.insert(node.clone());
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
    errors: &mut Vec<SyntaxError>,
) {
    if let Some(first) = set.get(&name) {
        let full = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        errors.push(
            SyntaxError::new(SyntaxErrorKind::DuplicateAttr, range, format!("attribute '{full}' already defined"))
                .with_note(first.range.clone(), "first defined here"),
        );
    } else {
        set.insert(name, Defined { entry, range });
    }
}
