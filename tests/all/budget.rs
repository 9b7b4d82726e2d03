//! Bounded execution: fuel, epoch interruption and resource limits.

use brisk::{Config, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Strategy, Trap};

/// Every tier counts fuel and checks epochs alike: each test runs on each.
const TIERS: [Strategy; 5] =
    [Strategy::Optimized, Strategy::Interpreter, Strategy::Mixed, Strategy::Baseline, Strategy::MixedBaseline];

/// Sums n, n-1, ..., 1 in a loop. Fuel per call, with Wasmtime's costs
/// (block, loop and end free; every other operator 1; entering a function
/// 1): the entry 1, each iteration 12 operators, the last test 3, and the
/// result's `local.get` 1, so a call costs `12 n + 5` (Wasmtime 48's count,
/// checked against it by `brisk-fuzz inspect`).
const SUM: &str = r#"(module
  (import "host" "twice" (func $twice (param i32) (result i32)))
  (func $sum (export "sum") (param i32) (result i32) (local i32)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  ;; Costs: entry 1 + const 1 + call 1 + sum(3) 41 + const 1 + call 1 +
  ;; sum(2) 29 + add 1 + the host call 1 (the host burns none) + end 0 = 77.
  (func (export "calls") (result i32)
    (i32.add (call $sum (i32.const 3)) (call $sum (i32.const 2)))
    (call $twice))
  (func (export "spin") (loop (br 0))))"#;

fn fuel_engine(tier: Strategy) -> Engine {
    let mut config = Config::new();
    config.consume_fuel(true).strategy(tier);
    Engine::new(&config).unwrap()
}

fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, brisk::Instance) {
    let module = Module::new(engine, wat).unwrap();
    let mut linker = Linker::new(engine);
    linker.func_wrap("host", "twice", |x: i32| x * 2).unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn trap_of(e: &brisk::Error) -> Option<Trap> {
    e.downcast_ref::<Trap>().copied()
}

#[test]
fn fuel_consumed_is_wasmtimes_count() {
    for tier in TIERS {
        fuel_consumed_is_wasmtimes_count_on(tier);
    }
}

fn fuel_consumed_is_wasmtimes_count_on(tier: Strategy) {
    let engine = fuel_engine(tier);
    let (mut store, instance) = instantiate(&engine, SUM);
    let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
    for n in [0, 1, 10, 1000] {
        store.set_fuel(1_000_000).unwrap();
        assert_eq!(sum.call(&mut store, n).unwrap(), n * (n + 1) / 2);
        let used = 1_000_000 - store.get_fuel().unwrap();
        assert_eq!(used, 12 * n as u64 + 5, "n = {n}, {tier:?}");
    }
    let calls = instance.get_typed_func::<(), i32>(&mut store, "calls").unwrap();
    store.set_fuel(1000).unwrap();
    assert_eq!(calls.call(&mut store, ()).unwrap(), 18);
    assert_eq!(1000 - store.get_fuel().unwrap(), 77);
}

#[test]
fn running_out_of_fuel_traps_and_the_same_program_burns_the_same_fuel() {
    for tier in TIERS {
        running_out_of_fuel_traps_and_the_same_program_burns_the_same_fuel_on(tier);
    }
}

fn running_out_of_fuel_traps_and_the_same_program_burns_the_same_fuel_on(tier: Strategy) {
    let engine = fuel_engine(tier);
    let (mut store, instance) = instantiate(&engine, SUM);
    let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
    // A call of 10 iterations costs 125, but fuel is only checked at
    // function entry and loop headers: the eleventh loop check, after 121
    // (the entry's 1 and 10 iterations), must find some left, and the last
    // 4 operators run on credit (the store then shows 0).
    store.set_fuel(121).unwrap();
    let e = sum.call(&mut store, 10).unwrap_err();
    assert_eq!(trap_of(&e), Some(Trap::OutOfFuel), "{e:?}");
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(122).unwrap();
    assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(126).unwrap();
    assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
    assert_eq!(store.get_fuel().unwrap(), 1);
    // No fuel, or only the entry's: the check at function entry, which
    // adds the entry's unit first (as Wasmtime's does), traps.
    for fuel in [0, 1] {
        store.set_fuel(fuel).unwrap();
        assert_eq!(trap_of(&sum.call(&mut store, 0).unwrap_err()), Some(Trap::OutOfFuel), "fuel {fuel}");
    }
    // One more passes both checks; the rest of the call runs on credit.
    store.set_fuel(2).unwrap();
    assert_eq!(sum.call(&mut store, 0).unwrap(), 0);
    assert_eq!(store.get_fuel().unwrap(), 0);
    // An infinite loop ends, and where it ends is the same every time.
    let spin = instance.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    let mut left = Vec::new();
    for _ in 0..3 {
        store.set_fuel(100_000).unwrap();
        assert_eq!(trap_of(&spin.call(&mut store, ()).unwrap_err()), Some(Trap::OutOfFuel));
        left.push(store.get_fuel().unwrap());
    }
    assert_eq!(left, [0, 0, 0]);
}

#[test]
fn bulk_operations_cost_fuel_per_byte_and_element() {
    for tier in TIERS {
        bulk_operations_cost_fuel_per_byte_and_element_on(tier);
    }
}

fn bulk_operations_cost_fuel_per_byte_and_element_on(tier: Strategy) {
    let engine = fuel_engine(tier);
    let module = Module::new(
        &engine,
        r#"(module (memory 1) (table 10 funcref)
          ;; entry 1 + const 1 + const 1 + get 1 + fill 1 + n per byte = n + 5
          (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))
          ;; a constant count: 1 + 3 + 1 + 100
          (func (export "fill100") (memory.fill (i32.const 0) (i32.const 7) (i32.const 100)))
          ;; entry 1 + ref.null 1 + get 1 + grow 1 + n per element + drop 0 = n + 4
          (func (export "grow") (param i32) (drop (table.grow (ref.null func) (local.get 0)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = brisk::Instance::new(&mut store, &module, &[]).unwrap();
    let fill = instance.get_typed_func::<i32, ()>(&mut store, "fill").unwrap();
    let fill100 = instance.get_typed_func::<(), ()>(&mut store, "fill100").unwrap();
    let grow = instance.get_typed_func::<i32, ()>(&mut store, "grow").unwrap();
    for n in [0u64, 1, 1000] {
        store.set_fuel(1_000_000).unwrap();
        fill.call(&mut store, n as i32).unwrap();
        assert_eq!(1_000_000 - store.get_fuel().unwrap(), n + 5, "fill {n}");
    }
    store.set_fuel(1_000_000).unwrap();
    fill100.call(&mut store, ()).unwrap();
    assert_eq!(1_000_000 - store.get_fuel().unwrap(), 105);
    store.set_fuel(1_000_000).unwrap();
    grow.call(&mut store, 5).unwrap();
    assert_eq!(1_000_000 - store.get_fuel().unwrap(), 9);
    // Charged before the operation runs, and checked there: a fill larger
    // than the fuel left traps with OutOfFuel, not after doing the work.
    store.set_fuel(50_000).unwrap();
    assert_eq!(trap_of(&fill.call(&mut store, 60_000).unwrap_err()), Some(Trap::OutOfFuel));
}

#[test]
fn fuel_needs_the_config() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn epoch_deadline_interrupts_an_infinite_loop() {
    for tier in TIERS {
        epoch_deadline_interrupts_an_infinite_loop_on(tier);
    }
}

fn epoch_deadline_interrupts_an_infinite_loop_on(tier: Strategy) {
    let mut config = Config::new();
    config.epoch_interruption(true).strategy(tier);
    let engine = Engine::new(&config).unwrap();
    let (mut store, instance) = instantiate(&engine, SUM);
    let spin = instance.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    // Deadline 0 (a new store's): traps at the first check.
    assert_eq!(trap_of(&spin.call(&mut store, ()).unwrap_err()), Some(Trap::Interrupt));
    store.set_epoch_deadline(1);
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            engine.increment_epoch();
        })
    };
    let e = spin.call(&mut store, ()).unwrap_err();
    ticker.join().unwrap();
    assert_eq!(trap_of(&e), Some(Trap::Interrupt), "{e:?}");
    // A deadline in the future lets calls finish.
    store.set_epoch_deadline(10);
    let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, 100).unwrap(), 5050);
}

const GROW: &str = r#"(module
  (memory (export "memory") 1)
  (table 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#;

fn limited(tier: Strategy, limits: StoreLimits, wat: &str) -> (Store<StoreLimits>, brisk::Result<brisk::Instance>) {
    let engine = Engine::new(Config::new().strategy(tier)).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, limits);
    store.limiter(|l| l);
    let instance = brisk::Instance::new(&mut store, &module, &[]);
    (store, instance)
}

#[test]
fn limiter_refuses_memory_and_table_growth() {
    for tier in TIERS {
        limiter_refuses_memory_and_table_growth_on(tier);
    }
}

fn limiter_refuses_memory_and_table_growth_on(tier: Strategy) {
    let limits = StoreLimitsBuilder::new().memory_size(3 << 16).table_elements(5).build();
    let (mut store, instance) = limited(tier, limits, GROW);
    let instance = instance.unwrap();
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "a fourth page is over the limit");
    assert_eq!(grow.call(&mut store, 0).unwrap(), 3);
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert!(memory.grow(&mut store, 1).is_err());
    let grow_table = instance.get_typed_func::<i32, i32>(&mut store, "grow_table").unwrap();
    assert_eq!(grow_table.call(&mut store, 4).unwrap(), 1);
    assert_eq!(grow_table.call(&mut store, 1).unwrap(), -1);
}

#[test]
fn limiter_refuses_instantiation_and_can_trap() {
    for tier in TIERS {
        limiter_refuses_instantiation_and_can_trap_on(tier);
    }
}

fn limiter_refuses_instantiation_and_can_trap_on(tier: Strategy) {
    let limits = StoreLimitsBuilder::new().memory_size(1 << 16).build();
    let (_, instance) = limited(tier, limits, r#"(module (memory 2))"#);
    let e = instance.unwrap_err();
    assert!(e.to_string().contains("exceeds memory limits"), "{e}");

    let limits = StoreLimitsBuilder::new().memory_size(1 << 16).trap_on_grow_failure(true).build();
    let (mut store, instance) = limited(tier, limits, GROW);
    let grow = instance.unwrap().get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    let e = grow.call(&mut store, 1).unwrap_err();
    assert!(e.to_string().contains("forcing a trap"), "{e:?}");
    // The store stays usable.
    assert_eq!(grow.call(&mut store, 0).unwrap(), 1);
}

/// Real programs (wasi-libc's start-up, printf, file I/O) burn exactly the
/// same fuel on every tier.
#[test]
fn programs_burn_the_same_fuel_on_every_tier() {
    use brisk_wasi::{DirPerms, FilePerms, I32Exit, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi");
    for program in ["args_env", "files", "seek", "exit_codes"] {
        let wasm = std::fs::read(dir.join(format!("{program}.wasm"))).unwrap();
        let mut burnt = Vec::new();
        for tier in TIERS {
            let engine = fuel_engine(tier);
            let module = Module::new(&engine, &wasm).unwrap();
            let sandbox = crate::util::TempDir::new(&format!("fuel-{program}"));
            let stdout = MemoryOutputPipe::new(1 << 20);
            let ctx = WasiCtxBuilder::new()
                .args(&[program, "/sandbox", "a", "b"])
                .env("ANSWER", "42")
                .stdout(stdout.clone())
                .preopened_dir(sandbox.path(), "/sandbox", DirPerms::all(), FilePerms::all())
                .unwrap()
                .build();
            let mut linker = Linker::new(&engine);
            brisk_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
            let mut store = Store::new(&engine, ctx);
            store.set_fuel(u64::MAX / 2).unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
            let exit = match start.call(&mut store, ()) {
                Ok(()) => 0,
                Err(e) => e.downcast_ref::<I32Exit>().map(|e| e.0).unwrap_or_else(|| panic!("{program}: {e:?}")),
            };
            let used = u64::MAX / 2 - store.get_fuel().unwrap();
            burnt.push((used, exit, stdout.contents()));
        }
        assert!(burnt[0].0 > 1000, "{program}: {} fuel", burnt[0].0);
        for (tier, b) in TIERS.iter().zip(&burnt).skip(1) {
            assert_eq!(b, &burnt[0], "{program}: {tier:?} differs from {:?}", TIERS[0]);
        }
    }
}
