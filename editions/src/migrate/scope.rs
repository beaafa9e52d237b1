//! Just enough name resolution for the passes: what binds a variable, seen from where it is
//! used (lexical scope only; a `with` is noted, since it decides nothing statically).

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode};

/// What binds a name at a place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Binder {
    /// A `let ... in` (the `LET_IN` node).
    Let(SyntaxNode),
    /// A `rec { }` set or a legacy `let { }` (the node): the name is also an attribute.
    Rec(SyntaxNode),
    /// A lambda's parameter or pattern field.
    Lambda,
    /// Nothing lexical: a global, a `with`, or undefined.
    Unbound {
        /// Whether a `with` encloses the place.
        under_with: bool,
    },
}

/// The binder of `name` as seen from `at` (a node of the tree).
pub(super) fn resolve(at: &SyntaxNode, name: &str) -> Binder {
    let mut under_with = false;
    let mut child = at.clone();
    for node in at.ancestors().skip(1) {
        match node.kind() {
            SyntaxKind::LET_IN if binds(&node, name) => return Binder::Let(node),
            SyntaxKind::LEGACY_LET if binds(&node, name) => return Binder::Rec(node),
            SyntaxKind::ATTR_SET => {
                let rec = ast::AttrSet::cast(node.clone()).is_some_and(|s| s.is_rec());
                if rec && binds(&node, name) {
                    return Binder::Rec(node);
                }
            }
            SyntaxKind::LAMBDA if lambda_binds(&node, name) => return Binder::Lambda,
            SyntaxKind::WITH => {
                let namespace = ast::With::cast(node.clone()).and_then(|w| w.namespace());
                if namespace.is_none_or(|ns| ns.syntax() != &child) {
                    under_with = true;
                }
            }
            _ => {}
        }
        child = node;
    }
    Binder::Unbound { under_with }
}

/// Whether the bindings of a `let`, `let { }` or set node bind `name`.
pub(super) fn binds(node: &SyntaxNode, name: &str) -> bool {
    ast::Binding::of(node).any(|binding| match binding {
        ast::Binding::AttrpathValue(b) => first_name(&b).as_deref() == Some(name),
        ast::Binding::Inherit(i) => i.attrs().any(|a| a.static_name().as_deref() == Some(name)),
    })
}

/// The static name of the first attribute of a binding's path.
pub(super) fn first_name(binding: &ast::AttrpathValue) -> Option<String> {
    binding.attrpath()?.attrs().next()?.static_name()
}

fn lambda_binds(node: &SyntaxNode, name: &str) -> bool {
    let Some(param) = ast::Lambda::cast(node.clone()).and_then(|l| l.param()) else { return false };
    match param {
        ast::Param::IdentParam(p) => p.name().and_then(|n| n.text()).as_deref() == Some(name),
        ast::Param::Pattern(p) => {
            p.entries().any(|e| e.name().and_then(|n| n.text()).as_deref() == Some(name))
                || p.bind().and_then(|b| b.name()).and_then(|n| n.text()).as_deref() == Some(name)
        }
    }
}

/// Every identifier-like token text in the tree (to pick names that occur nowhere).
pub(super) fn mentions(root: &SyntaxNode, name: &str) -> bool {
    root.descendants_with_tokens().filter_map(|e| e.into_token()).any(|t| {
        matches!(t.kind(), SyntaxKind::IDENT | SyntaxKind::STRING_CONTENT) && t.text().contains(name)
    })
}
