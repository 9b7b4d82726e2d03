// Writes wasmtime's Winch artifact of a module, to read its code with objdump.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let wasm = wat::parse_file(&args[1]).unwrap();
    let mut c = wasmtime::Config::new();
    c.strategy(wasmtime::Strategy::Winch);
    let engine = wasmtime::Engine::new(&c).unwrap();
    std::fs::write(&args[2], engine.precompile_module(&wasm).unwrap()).unwrap();
}
