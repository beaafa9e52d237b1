//! The generated nixpkgs-like input shared by the parse benchmark and the profiling driver
//! (`fuzz/prof`), so both measure the same file.

/// A file of nixpkgs-like code of about `target` bytes: sets, lets, lambdas, strings with
/// interpolation, indented strings, paths, lists and operators.
pub fn generated_file(target: usize) -> String {
    let mut src = String::from("# generated benchmark input\n{ lib, stdenv, fetchurl, ... }:\n\nlet\n");
    let mut i = 0;
    while src.len() < target {
        src.push_str(&format!(
            r#"  pkg{i} = stdenv.mkDerivation rec {{
    pname = "pkg-{i}";
    version = "1.{i}.0";
    src = fetchurl {{
      url = "https://example.org/${{pname}}-${{version}}.tar.gz";
      sha256 = "0{i:0>51}";
    }};
    patches = [ ./fix-{i}.patch ../common/build.patch ];
    buildInputs = lib.optionals (stdenv.isLinux && !stdenv.isAarch64) [ dep{i} other ]
      ++ lib.optional (x: x.enable or false) extra;
    /* multi-line
       comment */
    postInstall = ''
      mkdir -p $out/share/{i}
      cp -r ${{./data}} $out/share/''${{pname}}
    '';
    meta = with lib; {{ description = "Package number {i}"; license = licenses.mit; priority = {i} * 2 + 1; }};
    passthru.tests = {{ inherit (self) pkg{i}; check = a: b: if a == b then a else b // {{ c = 1.5; }}; }};
  }};
"#
        ));
        i += 1;
    }
    src.push_str("in\n{ inherit pkg0; }\n");
    src
}
