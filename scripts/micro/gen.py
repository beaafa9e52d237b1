#!/usr/bin/env python3
"""Writes one-operation Nix programs (each a few hundred thousand steps of one kind of work,
mostly inside `foldl'` over `genList`) into DIR, for `scripts/micro/run` to time under lixc and
the reference. Where lixc is slower on one of them, that operation is the one to look at.

usage: gen.py DIR
"""
import os, sys
N=200000
progs = {
"callpat": f"let f = {{ a, b, c ? 1, d ? 2 }}: a + b + c; in builtins.foldl' (acc: i: acc + f {{ a = i; b = 1; d = 3; }}) 0 (builtins.genList (i: i) {N})",
"callpat_ellipsis": f"let f = {{ a, b, ... }}: a + b; in builtins.foldl' (acc: i: acc + f {{ a = i; b = 1; x = 3; y = 4; }}) 0 (builtins.genList (i: i) {N})",
"update_small": f"let s = {{ a = 1; b = 2; c = 3; d = 4; e = 5; }}; in builtins.foldl' (acc: i: acc + (s // {{ c = i; f = 1; }}).c) 0 (builtins.genList (i: i) {N})",
"update_med": f"let s = builtins.listToAttrs (builtins.genList (i: {{ name = \"a${{toString i}}\"; value = i; }}) 40); in builtins.foldl' (acc: i: acc + (s // {{ a3 = i; zz = 1; }}).a3) 0 (builtins.genList (i: i) {N})",
"interp": f"builtins.length (builtins.genList (i: \"foo-${{toString i}}-bar-${{toString (i * 2)}}\") {N})",
"interp_force": f"builtins.foldl' (acc: s: acc + builtins.stringLength s) 0 (builtins.genList (i: \"foo-${{toString i}}-bar-${{toString (i * 2)}}\") {N})",
"listToAttrs": f"builtins.length (builtins.attrNames (builtins.listToAttrs (builtins.genList (i: {{ name = \"n${{toString i}}\"; value = i; }}) {N})))",
"attrNames_select": f"let s = builtins.listToAttrs (builtins.genList (i: {{ name = \"n${{toString i}}\"; value = i; }}) 8000); in builtins.foldl' (acc: n: acc + s.${{n}}) 0 (builtins.concatLists (builtins.genList (_: builtins.attrNames s) 25))",
"elem_attrs": f"let ds = builtins.genList (i: {{ type = \"derivation\"; outPath = \"/x/${{toString i}}\"; }}) 30; in builtins.foldl' (acc: i: acc + (if builtins.elem (builtins.elemAt ds (i - i / 30 * 30)) ds then 1 else 0)) 0 (builtins.genList (i: i) {N//10})",
"concatStringsSep": f"builtins.stringLength (builtins.concatStringsSep \";\" (builtins.genList (i: \"k=${{toString i}}\") {N}))",
"hashString": f"builtins.foldl' (acc: i: acc + builtins.stringLength (builtins.hashString \"sha256\" \"abc${{toString i}}\")) 0 (builtins.genList (i: i) {N//2})",
"removeAttrs": f"let s = {{ a = 1; b = 2; meta = 3; passthru = 4; c = 5; d = 6; e = 7; f = 8; }}; in builtins.foldl' (acc: i: acc + (builtins.removeAttrs s [ \"meta\" \"passthru\" \"pos\" ]).a) 0 (builtins.genList (i: i) {N})",
"intersect": f"let big = builtins.listToAttrs (builtins.genList (i: {{ name = \"n${{toString i}}\"; value = i; }}) 8000); in builtins.foldl' (acc: i: acc + builtins.length (builtins.attrNames (builtins.intersectAttrs {{ n1 = 1; n20 = 1; n300 = 1; stdenv = 1; lib = 1; }} big))) 0 (builtins.genList (i: i) {N//4})",
"functionArgs": f"let f = {{ a, b ? 1 }}: a; in builtins.foldl' (acc: i: acc + builtins.length (builtins.attrNames (builtins.functionArgs f))) 0 (builtins.genList (i: i) {N})",
"thunks": f"let xs = builtins.genList (i: {{ a = i + 1; b = i * 2; c = [ i (i + 1) ]; }}) {N}; in builtins.foldl' (acc: x: acc + x.a + x.b) 0 xs",
"curried": f"let add = a: b: a + b; in builtins.foldl' (acc: i: add acc i) 0 (builtins.genList (i: i) {N*5})",
"recset": f"builtins.foldl' (acc: i: acc + (rec {{ a = i; b = a + 1; c = b + 1; d = {{ inherit a b; }}; }}).d.b) 0 (builtins.genList (i: i) {N})",
"letin": f"builtins.foldl' (acc: i: let x = i + 1; y = x * 2; z = [ x y ]; in acc + builtins.elemAt z 1) 0 (builtins.genList (i: i) {N})",
"map_filter": f"builtins.length (builtins.filter (x: x > 10) (map (x: x * 3) (builtins.genList (i: i) {N*5})))",
"concatMap": f"builtins.length (builtins.concatMap (x: if x - x / 2 * 2 == 0 then [ x ] else []) (builtins.genList (i: i) {N*2}))",
"or_default": f"let s = {{ a = 1; }}; in builtins.foldl' (acc: i: acc + (s.b or i) + (s.a or 0)) 0 (builtins.genList (i: i) {N*2})",
"withlookup": f"let s = {{ a = 1; b = 2; }}; in builtins.foldl' (acc: i: acc + (with s; a + b)) 0 (builtins.genList (i: i) {N*2})",
"fix_overlay": f"let fix = f: let x = f x; in x; ext = f: r: self: let super = r self; in super // f self super; base = self: builtins.listToAttrs (builtins.genList (i: {{ name = \"p${{toString i}}\"; value = i; }}) 2000); final = fix (builtins.foldl' (r: k: ext (self: super: {{ \"q${{toString k}}\" = self.p1 + k; }}) r) base (builtins.genList (i: i) 100)); in builtins.length (builtins.attrNames final)",
"toString_int": f"builtins.stringLength (builtins.concatStringsSep \"\" (map toString (builtins.genList (i: i) {N*2})))",
"parseDrvName": f"builtins.foldl' (acc: i: acc + builtins.stringLength (builtins.parseDrvName \"foo-bar-${{toString i}}.2\").name) 0 (builtins.genList (i: i) {N})",
"substring": f"builtins.foldl' (acc: i: acc + builtins.stringLength (builtins.substring 0 3 \"abcdefgh${{toString i}}\")) 0 (builtins.genList (i: i) {N*2})",
"eqstr": f"builtins.foldl' (acc: i: acc + (if \"out${{toString (i - i / 3 * 3)}}\" == \"out1\" then 1 else 0)) 0 (builtins.genList (i: i) {N*2})",
"isFunction_functor": f"let isF = f: builtins.isFunction f || (f ? __functor && isF (f.__functor f)); g = {{ __functor = self: x: x; }}; in builtins.foldl' (acc: i: acc + (if isF g then 1 else 0)) 0 (builtins.genList (i: i) {N*2})",
"listconcat": f"builtins.length (builtins.foldl' (acc: i: [ i ] ++ (if i - i / 100 * 100 == 0 then [] else [ i ])) [] (builtins.genList (i: i) {N*2}))",
"unique_small": f"let unique = builtins.foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) []; in builtins.foldl' (acc: i: acc + builtins.length (unique [ i 1 2 i 3 ])) 0 (builtins.genList (i: i) {N})",
}
progs["foldl_baseline"] = f"builtins.foldl' (acc: i: acc + i) 0 (builtins.genList (i: i) {N*5})"
progs["genlist_force"] = f"let l = builtins.genList (i: i) {N*5}; in builtins.seq (builtins.foldl' (a: b: b) 0 l) (builtins.length l)"
out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
for k,v in progs.items():
    open(os.path.join(out, f"{k}.nix"),"w").write(v+"\n")
