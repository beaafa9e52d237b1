fn main() {
    let src = std::env::args().nth(1).unwrap();
    let p = lix_syntax::parse(&src);
    print!("{:#?}", p.syntax());
    for e in p.errors() { println!("{e}"); }
    assert_eq!(p.syntax().to_string(), src);
}
