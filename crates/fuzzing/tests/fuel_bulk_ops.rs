//! Regression test for the fuel divergence the differential fuzzer found
//! (fuzz/README.md, "Found"; module in
//! tests/misc_testsuite/fuel_bulk_ops_charge_per_unit.wast): Wasmtime 48
//! charges bulk operations one unit of fuel per byte or element, before
//! they run, and checks fuel there. Brisk charged a flat 1 until this was
//! found; now both follow `brisk_environ::fuel_per_unit`, and this test
//! pins it.

use brisk::{Config, Engine, Instance, Module, Store, Trap, Val};

const FUEL: u64 = 20_000;

fn call(name: &str, arg: i32) -> Result<Vec<Val>, Trap> {
    let wast = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/misc_testsuite/fuel_bulk_ops_charge_per_unit.wast")).unwrap();
    // The script's one module, as text.
    let start = wast.find("(module").unwrap();
    let end = wast.find("(assert_").unwrap();
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wast[start..end]).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(FUEL).unwrap();
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, name).unwrap();
    let mut results = vec![Val::I32(0); f.ty(&store).results.len()];
    store.set_fuel(FUEL).unwrap();
    match f.call(&mut store, &[Val::I32(arg)], &mut results) {
        Ok(()) => Ok(results),
        Err(e) => Err(*e.downcast_ref::<Trap>().expect("a trap")),
    }
}

#[test]
fn bulk_operations_charge_per_unit_before_running() {
    // What Wasmtime 48 does with the same budget (checked with
    // `brisk-fuzz inspect` on the .wast's module).
    assert_eq!(call("table-copy-huge", -4194305).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("funcref-copy-huge", -4194305).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("table-fill-huge", -1).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("table-init-huge", -1).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("table-grow-huge", -1).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("memory-fill", 100_000).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("memory-copy", 100_000).unwrap_err(), Trap::OutOfFuel);
    assert_eq!(call("memory-init-huge", -1).unwrap_err(), Trap::OutOfFuel);
    // Within budget, both return.
    assert!(call("memory-fill", 1000).is_ok());
}
