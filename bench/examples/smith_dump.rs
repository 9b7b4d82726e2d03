// Writes the smith corpus's modules to a folder (to profile one compile).
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("a folder"));
    std::fs::create_dir_all(&dir).unwrap();
    for m in brisk_corpus::corpus(40) {
        std::fs::write(dir.join(format!("{}.wasm", m.name)), &m.wasm).unwrap();
    }
}
