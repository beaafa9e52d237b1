//! Generates the LR(1) parser from `src/grammar.lalrpop`.
fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .process()
        .expect("the grammar must compile");
}
